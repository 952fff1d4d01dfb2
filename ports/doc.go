// Package ports declares the interfaces the core needs from the outside world:
// storage, queue, bus, tokens, rate limits, plugins' kinds, clock.
//
// Adapters implement them; each port has an exported conformance suite in a
// sibling package (storetest, ...) that every adapter runs unchanged.
// This package imports core/domain and the standard library only.
package ports
