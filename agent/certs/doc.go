// Package certs keeps the agent's client certificate for mutual TLS on its
// link (docs/security.md, "Mutual TLS"): one ECDSA P-256 private key made
// on this machine and never sent (client.key, 0600 in the state
// directory), the certificate the server issued for it (client.crt) and
// the CA roots (ca.pem); a TLS client configuration that presents the
// certificate; and its renewal over the link.
//
// Renewal keeps the key: the certificate changes, the key stays until the
// device is enrolled again. A stolen key is answered by decommissioning
// the device (its certificates are revoked), not by rotating keys on a
// schedule, and one key means no window where key and certificate on disk
// disagree.
package certs
