package domain

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// NewID returns a new UUIDv7 (RFC 9562) as its canonical 36-character string.
// IDs sort by creation time, which keeps B-tree inserts local and lets cursors
// page in creation order. Within one millisecond a counter keeps them monotonic.
func NewID() string {
	var b [16]byte
	idMu.Lock()
	ms := uint64(time.Now().UnixMilli())
	if ms <= idLastMs {
		ms = idLastMs
		idSeq++
		if idSeq > 0xfff { // 12-bit counter exhausted: borrow the next millisecond
			ms++
			idSeq = 0
		}
	} else {
		idSeq = 0
	}
	idLastMs = ms
	seq := idSeq
	idMu.Unlock()

	if _, err := rand.Read(b[8:]); err != nil {
		panic("domain: crypto/rand failed: " + err.Error())
	}
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = 0x70 | byte(seq>>8)
	b[7] = byte(seq)
	b[8] = 0x80 | (b[8] & 0x3f)
	return formatUUID(b)
}

var (
	idMu     sync.Mutex
	idLastMs uint64
	idSeq    uint16
)

func formatUUID(b [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}

// ValidID reports whether s is a canonical lower-case UUID string. Stores treat
// a malformed id as one that does not exist (ErrNotFound).
func ValidID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}
