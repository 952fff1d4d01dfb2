package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// AuditEntry is one append-only row of the audit log. Rows form a hash chain:
// each Hash covers the row's fields and the previous row's Hash, so editing or
// deleting any row breaks every link after it.
type AuditEntry struct {
	ID           string
	Seq          int64 // 1, 2, 3, ... in append order
	At           time.Time
	ActorType    string // user, api_key, agent, system, anonymous
	ActorID      string
	Action       string // e.g. "orgs.create", "auth.login"
	ResourceType string
	ResourceID   string
	PartnerID    string
	OrgID        string
	Outcome      AuditOutcome
	IP           string
	UserAgent    string
	RequestID    string
	Details      string // small JSON object, or empty
	PrevHash     string
	Hash         string
}

// AuditOutcome says how the action ended.
type AuditOutcome string

const (
	OutcomeSuccess AuditOutcome = "success"
	OutcomeDenied  AuditOutcome = "denied"
	OutcomeFailure AuditOutcome = "failure"
)

// ComputeHash returns the chain hash of e given the previous row's hash.
// Fields are length-prefixed so no two different rows serialise alike.
// At is taken at microsecond precision, what both databases keep.
func (e *AuditEntry) ComputeHash(prev string) string {
	var b strings.Builder
	field := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	field(prev)
	field(e.ID)
	field(strconv.FormatInt(e.Seq, 10))
	field(strconv.FormatInt(e.At.UTC().UnixMicro(), 10))
	for _, s := range []string{e.ActorType, e.ActorID, e.Action, e.ResourceType, e.ResourceID,
		e.PartnerID, e.OrgID, string(e.Outcome), e.IP, e.UserAgent, e.RequestID, e.Details} {
		field(s)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// Truncate bounds free-text fields so a hostile header cannot bloat the log,
// and makes them valid UTF-8 (cut on a character boundary, bad bytes
// replaced) so every database stores, and hashes, the same text.
func (e *AuditEntry) Truncate() {
	cut := func(s string, n int) string {
		out, _ := ClipUTF8(strings.ToValidUTF8(s, "\uFFFD"), n)
		return out
	}
	e.UserAgent = cut(e.UserAgent, 512)
	e.IP = cut(e.IP, 64)
	e.RequestID = cut(e.RequestID, 64)
	e.Details = cut(e.Details, 8192)
	e.ActorID = cut(e.ActorID, 128)
	e.Action = cut(e.Action, 128)
	e.ResourceType = cut(e.ResourceType, 64)
	e.ResourceID = cut(e.ResourceID, 128)
}

// AuditBreak describes the first broken link found by a verification.
type AuditBreak struct {
	Seq    int64
	ID     string
	Reason string
}
