// Command tcpscan is Breeze's TCP discovery scanner plugin: a TCP connect
// "ping" sweep of CIDRs and a connect scan of chosen ports, with concurrency
// and rate limits.
package main

import "github.com/breeze-rmm/breeze/sdk"

func main() { sdk.ServeScanner(New()) }
