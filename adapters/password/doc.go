// Package password implements ports.PasswordHasher with argon2id and
// ports.TOTP with RFC 6238 one-time codes.
//
// Hashes use the PHC string format shared by the reference argon2 tools and
// most libraries: $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>,
// salt and hash in unpadded standard base64. Passwords are hashed as the
// bytes given (no Unicode normalisation).
package password
