package httpapi

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/gin-gonic/gin"
)

type createSite struct {
	Name  string   `json:"name"`
	OrgID string   `json:"orgId"`
	Tags  []string `json:"tags"`
	Port  int      `json:"port"`
}

// bindServer has POST /bind echoing the decoded body, errors via WriteError.
func bindServer(t *testing.T, maxBody int64) *testServer {
	ts := newTestServer(t, func(d *Deps) { d.Options.MaxBodyBytes = maxBody })
	ts.Handle(http.MethodPost, "/bind", Public(), func(c *gin.Context) {
		var in createSite
		if err := BindJSON(c, &in); err != nil {
			WriteError(c, err)
			return
		}
		c.JSON(http.StatusOK, in)
	})
	return ts
}

var jsonCT = http.Header{"Content-Type": {"application/json; charset=utf-8"}}

func TestBindJSON(t *testing.T) {
	ts := bindServer(t, 1024)
	cases := []struct {
		name, body string
		header     http.Header
		status     int
		code       string
		msgHas     string
	}{
		{"valid", `{"name":"HQ","orgId":"o1","tags":["a"],"port":22}`, jsonCT, 200, "", ""},
		{"malformed", `{"name":`, jsonCT, 400, CodeInvalid, "malformed JSON"},
		{"syntax", `{"name" "x"}`, jsonCT, 400, CodeInvalid, "malformed JSON at byte"},
		{"unknown field", `{"name":"HQ","isAdmin":true}`, jsonCT, 400, CodeInvalid, `unknown field "isAdmin"`},
		{"wrong type", `{"port":"22"}`, jsonCT, 400, CodeInvalid, `field "port" must be a number`},
		{"not an object", `[1,2]`, jsonCT, 400, CodeInvalid, "must be an object"},
		{"trailing value", `{"name":"a"}{"name":"b"}`, jsonCT, 400, CodeInvalid, "single JSON value"},
		{"trailing junk", `{"name":"a"} xyz`, jsonCT, 400, CodeInvalid, "single JSON value"},
		{"empty", ``, jsonCT, 400, CodeInvalid, "empty"},
		{"no content type", `{"name":"a"}`, nil, 415, CodeUnsupportedMediaType, "application/json"},
		{"form content type", `{"name":"a"}`, http.Header{"Content-Type": {"text/plain"}}, 415, CodeUnsupportedMediaType, "application/json"},
		{"huge unknown field name", `{"` + strings.Repeat("k", 500) + `":1}`, jsonCT, 400, CodeInvalid, "unknown field"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := ts.do(t, http.MethodPost, "/bind", strings.NewReader(tc.body), tc.header)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body.String())
			}
			if tc.status == 200 {
				if !strings.Contains(rec.Body.String(), `"name":"HQ"`) {
					t.Fatalf("decoded body not echoed: %s", rec.Body.String())
				}
				return
			}
			e := decodeError(t, rec)
			if e.Code != tc.code || !strings.Contains(e.Message, tc.msgHas) {
				t.Fatalf("got %+v, want code %q message containing %q", e, tc.code, tc.msgHas)
			}
			if len(e.Message) > 200 {
				t.Fatalf("message echoes too much input (%d bytes)", len(e.Message))
			}
		})
	}
}

func TestBindJSONErrorsAreDomainInvalid(t *testing.T) {
	ts := newTestServer(t, nil)
	var got error
	ts.Handle(http.MethodPost, "/b", Public(), func(c *gin.Context) {
		var v createSite
		got = BindJSON(c, &v)
		c.Status(http.StatusNoContent)
	})
	ts.do(t, http.MethodPost, "/b", strings.NewReader(`{"x":1}`), jsonCT)
	if !errors.Is(got, domain.ErrInvalid) {
		t.Fatalf("unknown field error %v is not domain.ErrInvalid", got)
	}
}

func TestOversizedBody(t *testing.T) {
	const limit = 256
	ts := bindServer(t, limit)
	big := `{"name":"` + strings.Repeat("a", 4*limit) + `"}`
	t.Run("with content length", func(t *testing.T) {
		rec := ts.do(t, http.MethodPost, "/bind", strings.NewReader(big), jsonCT)
		if rec.Code != http.StatusRequestEntityTooLarge || decodeError(t, rec).Code != CodeTooLarge {
			t.Fatalf("status %d body %s, want 413 too_large", rec.Code, rec.Body.String())
		}
	})
	t.Run("chunked, no content length", func(t *testing.T) {
		req := bytes.NewBufferString(big) // *bytes.Buffer: httptest still sets a length, so hide it
		rec := ts.do(t, http.MethodPost, "/bind", struct{ *bytes.Buffer }{req}, jsonCT)
		if rec.Code != http.StatusRequestEntityTooLarge || decodeError(t, rec).Code != CodeTooLarge {
			t.Fatalf("status %d body %s, want 413 too_large", rec.Code, rec.Body.String())
		}
	})
	t.Run("a value followed by an oversized tail", func(t *testing.T) {
		body := `{"name":"a"}` + strings.Repeat(" ", 2*limit)
		rec := ts.do(t, http.MethodPost, "/bind", strings.NewReader(body), jsonCT)
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d body %s, want 413", rec.Code, rec.Body.String())
		}
	})
	t.Run("under the limit passes", func(t *testing.T) {
		rec := ts.do(t, http.MethodPost, "/bind", strings.NewReader(`{"name":"HQ"}`), jsonCT)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d body %s", rec.Code, rec.Body.String())
		}
	})
}
