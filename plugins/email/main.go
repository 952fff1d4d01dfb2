// Command email is Breeze's e-mail alert channel plugin: it sends each alert
// as a plain-text RFC 5322 message through an SMTP relay (STARTTLS or
// implicit TLS, AUTH PLAIN or LOGIN), connecting through the host's egress.
package main

import "github.com/breeze-rmm/breeze/sdk"

func main() { sdk.ServeAlertChannel(New()) }
