// Package inventory describes the machine for the server: operating system,
// CPU, memory, disks, filesystems, network interfaces and installed software.
// The agent sends it in full when the server has none, and afterwards only
// what changed (Diff), so a fleet of thousands does not resend package lists
// that did not move.
package inventory
