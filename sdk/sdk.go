// Package sdk is Breeze's public plugin SDK: everything a plugin author
// imports. It is its own Go module so plugins never depend on the server.
//
// A plugin implements one of the kind interfaces (AlertChannel, Scanner,
// ScriptRuntime, Collector) and calls the matching Serve function from main.
// A host launches the plugin with NewClientConfig and gets back a typed
// client implementing the same interface (ClientFor).
package sdk

// APIVersion is the newest plugin API version this SDK speaks. Hosts and
// plugins negotiate the highest version both support.
const APIVersion = 1

// SupportedAPIVersions are the API versions this SDK can serve and dispense.
var SupportedAPIVersions = []int{1}
