// Package jwt implements ports.AccessTokens with golang-jwt.
//
// Algorithm: HS256, pinned. Every server node both issues and verifies access
// tokens and no third party verifies them, so a shared symmetric key is all
// that is needed; HMAC is the fastest option, needs no key-pair tooling, and a
// 256-bit random key leaves nothing to brute-force. (EdDSA would only pay off
// if something outside the server had to verify tokens without being able to
// mint them.) The parser accepts HS256 alone, so "none", RS*/ES*/PS* and the
// classic "public key used as HMAC secret" confusion are all refused.
//
// Keys live in a KeySet: one current signing key and a few older
// verification-only keys, selected by the token's "kid" header, so a key can be
// rotated without logging everybody out. Secrets never appear in errors or logs.
package jwt
