// Package watch is the agent side of watching tracked network devices
// (protocol/watch.go, docs/discovery-scans.md "Watching"): the server's
// TypeWatch frame replaces the list, and every interval one round probes
// each host with the scanner plugins the agent runs (ICMP through
// breeze.netsweep, then a TCP connect through breeze.tcpscan, then SNMP
// through breeze.snmp, each only for the hosts still not up) and sends one
// TypeWatchReport.
package watch
