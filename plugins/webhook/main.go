// Command webhook is Breeze's webhook alert channel plugin: it POSTs each
// alert as JSON, signed with HMAC-SHA256 in X-Breeze-Signature, with retries.
package main

import "github.com/breeze-rmm/breeze/sdk"

func main() { sdk.ServeAlertChannel(New()) }
