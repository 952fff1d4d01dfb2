// Command netsweep is Breeze's network sweep scanner plugin: ICMP echo
// (an unprivileged ping socket where the OS allows, a raw socket as root),
// the neighbour (ARP) table after the probes, and reverse DNS of the hosts
// found, with rate and concurrency limits.
package main

import "github.com/breeze-rmm/breeze/sdk"

func main() { sdk.ServeScanner(New()) }
