// Package archtest holds the tests that enforce the architecture: DESIGN
// §1's dependency rule (core/ and ports/ import no adapter, framework or
// driver), that the REST handlers reach data only through core/app services
// (never a storage port), and that no build output is tracked.
package archtest
