// Package sdk is Breeze's public plugin SDK: everything a plugin author
// imports. It is its own Go module so plugins never depend on the server.
package sdk

// APIVersion is the newest plugin API version this SDK speaks. Hosts and
// plugins negotiate the highest version both support.
const APIVersion = 1
