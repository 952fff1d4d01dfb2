// Command hangs is a test collector whose Collect never returns and ignores
// cancellation. It says so on stdout first.
package main

import (
	"context"
	"fmt"

	"github.com/breeze-rmm/breeze/internal/testplugin"
	"github.com/breeze-rmm/breeze/sdk"
)

func main() {
	sdk.ServeCollector(testplugin.Collector{Name: "hangs", OnCollect: func(context.Context) (sdk.Collection, error) {
		fmt.Println("hangs: hanging now")
		<-make(chan struct{})
		return sdk.Collection{}, nil
	}})
}
