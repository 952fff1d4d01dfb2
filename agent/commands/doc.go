// Package commands executes the server's command frames (docs/architecture.md §5, docs/remote-work.md):
// delivered at least once, executed at most once. Every id is recorded on
// disk before anything runs; a repeat is answered from the record (ack
// "running", or ack "done" plus the stored result) and never run again; an
// id found started after a restart is reported failed, not rerun; results
// not written to a link are sent again on the next one.
package commands
