package api

// LoginRequest is the body of POST /auth/login.
type LoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	TOTP     string `json:"totp,omitempty" doc:"The authenticator code, once the server answered 401 totp_required."`
}

// LoginResponse opens a session. The refresh token is also set as the
// HttpOnly cookie breeze_refresh for the dashboard.
type LoginResponse struct {
	AccessToken    string `json:"accessToken"`
	RefreshToken   string `json:"refreshToken"`
	TokenType      string `json:"tokenType" enum:"Bearer"`
	ExpiresIn      int64  `json:"expiresIn" doc:"Seconds until the access token expires."`
	User           User   `json:"user"`
	MustEnrollTOTP bool   `json:"mustEnrollTotp" doc:"The partner requires a second factor: only enrolment, /me and logout are open until it is done."`
}

// RefreshRequest is the body of POST /auth/refresh; without a body (or
// without refreshToken) the breeze_refresh cookie is used.
type RefreshRequest struct {
	RefreshToken string `json:"refreshToken,omitempty"`
}

// TokenResponse is the answer of POST /auth/refresh. The refresh token sent
// is spent; use the new one.
type TokenResponse struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	TokenType    string `json:"tokenType" enum:"Bearer"`
	ExpiresIn    int64  `json:"expiresIn"`
}

// TOTPEnrollment is a fresh second-factor secret the server made and keeps
// as the pending enrolment; it becomes the factor once POST
// /auth/totp/confirm proves the authenticator app produces its codes.
type TOTPEnrollment struct {
	Secret     string `json:"secret" doc:"Base32 secret for manual entry; shown this once."`
	OTPAuthURL string `json:"otpauthUrl" doc:"otpauth:// URL to show as a QR code."`
}

// TOTPConfirmRequest is the body of POST /auth/totp/confirm. It carries
// codes only: the secret is the one POST /auth/totp/enroll made.
type TOTPConfirmRequest struct {
	Code        string `json:"code" doc:"A current code of the new secret."`
	CurrentCode string `json:"currentCode,omitempty" doc:"A code of the factor being replaced, if one is enrolled."`
}

// ChangePasswordRequest is the body of POST /auth/password.
type ChangePasswordRequest struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword" doc:"At least 12 characters."`
}
