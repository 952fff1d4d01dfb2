package files

import (
	"errors"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
)

func TestCleanPath(t *testing.T) {
	ok := []struct{ in, os, want string }{
		{"/tmp/a.txt", "linux", "/tmp/a.txt"},
		{"/tmp//./a.txt", "linux", "/tmp/a.txt"},
		{"/tmp/a..b", "darwin", "/tmp/a..b"},
		{`C:\Users\me\a.txt`, "windows", `C:\Users\me\a.txt`},
		{`c:/Users//me/./a.txt`, "windows", `C:\Users\me\a.txt`},
	}
	for _, c := range ok {
		got, err := CleanPath(c.in, c.os)
		if err != nil || got != c.want {
			t.Errorf("CleanPath(%q, %s) = %q, %v; want %q", c.in, c.os, got, err, c.want)
		}
	}
	bad := []struct{ in, os string }{
		{"", "linux"}, {"tmp/a", "linux"}, {"/tmp/../etc/passwd", "linux"}, {"/..", "linux"},
		{"/tmp/a\x00", "linux"}, {"/tmp/a\n", "linux"}, {"/", "linux"}, {"/tmp/", "linux"},
		{"/" + strings.Repeat("a", MaxPathBytes), "linux"}, {"/tmp/\xff", "linux"},
		{`C:\Windows\x`, "linux"},
		{`\\server\share\x`, "windows"}, {`\\?\C:\x`, "windows"}, {`/tmp/a`, "windows"},
		{`C:\a\..\b`, "windows"}, {`C:../x`, "windows"}, {`C:\a\file.txt:stream`, "windows"},
		{`C:\`, "windows"}, {`C:\dir\`, "windows"}, {`C:\a?b`, "windows"},
	}
	for _, c := range bad {
		if got, err := CleanPath(c.in, c.os); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("CleanPath(%q, %s) = %q, %v; want ErrInvalid", c.in, c.os, got, err)
		}
	}
}
