// Package netlab (Linux only) builds real hosts for tests: Linux network namespaces joined
// by veth pairs to a bridge in the root namespace, each with its own address
// and MAC, able to run real services (python's HTTP server, TCP listeners,
// Debian's snmpd) and resolvable through a reverse-DNS server the lab runs.
//
// A lab needs root and iproute2. Its addresses come from a random private
// prefix that overlaps no route or address of the machine, so a scan of the
// lab's prefix only ever reaches hosts the lab made. Everything a lab creates
// is removed in t.Cleanup, and New first sweeps away what crashed runs left
// (every name starts with Prefix; a lab whose owning process is gone is stale).
package netlab
