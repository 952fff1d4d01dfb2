package discovery

import (
	"encoding/csv"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/breeze-rmm/breeze/ports"
)

// DefaultOUIPath is Debian's ieee-data copy of the IEEE MA-L registry.
const DefaultOUIPath = "/usr/share/ieee-data/oui.csv"

// ouiTable maps a MAC's first three bytes to its registered vendor. It
// is read once, on the first lookup; a missing file leaves every vendor
// empty (a warning, not an error: the package is optional).
type ouiTable struct {
	path string
	log  ports.Logger
	once sync.Once
	m    map[string]string // "001B63" → "Apple, Inc."
}

func newOUITable(path string, log ports.Logger) *ouiTable { return &ouiTable{path: path, log: log} }

// Vendor returns the vendor of mac ("aa:bb:cc:dd:ee:ff", any case and
// separator), or "".
func (t *ouiTable) Vendor(mac string) string {
	key := ouiKey(mac)
	if key == "" {
		return ""
	}
	t.once.Do(t.load)
	return t.m[key]
}

func ouiKey(mac string) string {
	var b strings.Builder
	for _, r := range mac {
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'F':
			b.WriteRune(r)
		case r >= 'a' && r <= 'f':
			b.WriteRune(r - 'a' + 'A')
		case r == ':' || r == '-' || r == '.':
		default:
			return ""
		}
		if b.Len() == 6 {
			return b.String()
		}
	}
	return ""
}

func (t *ouiTable) load() {
	t.m = map[string]string{}
	f, err := os.Open(t.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			t.log.Warn("discovery: no OUI registry; asset vendors stay empty (install Debian's ieee-data)", "path", t.path)
		} else {
			t.log.Warn("discovery: OUI registry unreadable; asset vendors stay empty", "path", t.path, "error", err)
		}
		return
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.log.Warn("discovery: OUI registry line skipped", "path", t.path, "error", err)
			continue
		}
		if len(rec) < 3 || len(rec[1]) != 6 {
			continue
		}
		t.m[strings.ToUpper(rec[1])] = strings.TrimSpace(rec[2])
	}
}
