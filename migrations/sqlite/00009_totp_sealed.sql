-- +goose Up
-- Second-factor secrets are sealed by the server (AES-256-GCM under the
-- server's secrets key, bound to the user) instead of stored in clear.
-- SQL cannot seal: the server seals every clear totp_secret at start-up
-- (auth.SealTOTPSecrets), right after this migration; a sealed value starts
-- with "v1." and never again holds the base32 secret.
-- totp_pending holds the sealed secret of an enrolment the server began and
-- the user has not yet confirmed with a code.
ALTER TABLE users ADD COLUMN totp_pending TEXT NOT NULL DEFAULT '';
