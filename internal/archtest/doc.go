// Package archtest holds the test that enforces DESIGN §1's dependency rule:
// core/ and ports/ import no adapter, framework or driver.
package archtest
