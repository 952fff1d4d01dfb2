// Command snmpscan is Breeze's SNMP scanner plugin: it asks each target for
// its system group (sysName, sysDescr, sysObjectID, sysLocation) and its
// interfaces (ifTable, ifXTable), over SNMP v2c or v3, with rate and
// concurrency limits.
package main

import "github.com/breeze-rmm/breeze/sdk"

func main() { sdk.ServeScanner(New()) }
