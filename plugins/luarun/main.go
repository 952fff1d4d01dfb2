// Command luarun is Breeze's Lua script runtime plugin: Lua 5.1 via the
// pure-Go gopher-lua, in a sandbox without os, io, file or module loading.
package main

import "github.com/breeze-rmm/breeze/sdk"

func main() { sdk.ServeScriptRuntime(New()) }
