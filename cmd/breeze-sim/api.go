package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// apiClient is the little of the REST API the simulator needs to mint its
// enrollment key.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

func newAPIClient(base string) *apiClient {
	return &apiClient{base: base, http: &http.Client{Timeout: 30 * time.Second}}
}

// call sends v (if not nil) as JSON and decodes the answer into out; a
// status other than want is a *statusError carrying the server's message.
func (c *apiClient) call(ctx context.Context, method, path string, v, out any, want int) error {
	var body io.Reader
	ctype := ""
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	return c.send(ctx, method, path, ctype, body, out, want)
}

// send is call with a body of any type.
func (c *apiClient) send(ctx context.Context, method, path, ctype string, body io.Reader, out any, want int) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if res.StatusCode != want {
		return &statusError{Method: method, Path: path, Status: res.StatusCode, Text: res.Status, Body: strings.TrimSpace(string(data))}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// statusError is an answer with an unexpected status.
type statusError struct {
	Method, Path string
	Status       int
	Text, Body   string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: %s: %s", e.Method, e.Path, e.Text, e.Body)
}

// hasStatus says whether err is an answer with status code.
func hasStatus(err error, code int) bool {
	var se *statusError
	return errors.As(err, &se) && se.Status == code
}

func (c *apiClient) login(ctx context.Context, email, password string) error {
	var out struct {
		AccessToken    string `json:"accessToken"`
		MustEnrollTOTP bool   `json:"mustEnrollTotp"`
	}
	if err := c.call(ctx, http.MethodPost, "/api/v1/auth/login",
		map[string]string{"email": email, "password": password}, &out, http.StatusOK); err != nil {
		return err
	}
	if out.MustEnrollTOTP {
		return fmt.Errorf("this admin must enroll a second factor first; use --key-file instead")
	}
	c.token = out.AccessToken
	return nil
}

type named struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// findOrCreate returns the id of the item named name in list (GET path?q=),
// creating it with body when there is none.
func (c *apiClient) findOrCreate(ctx context.Context, path, extraQuery, name string, body any) (string, error) {
	var page struct {
		Items []named `json:"items"`
	}
	q := "?q=" + url.QueryEscape(name) + extraQuery
	if err := c.call(ctx, http.MethodGet, path+q, nil, &page, http.StatusOK); err != nil {
		return "", err
	}
	for _, it := range page.Items {
		if it.Name == name {
			return it.ID, nil
		}
	}
	var out named
	if err := c.call(ctx, http.MethodPost, path, body, &out, http.StatusCreated); err != nil {
		return "", err
	}
	return out.ID, nil
}

// mintKey logs in and mints an enrollment key with unlimited uses, valid 30
// days, into siteID (or the "breeze-sim" org and site).
func mintKey(ctx context.Context, cfg *config) (string, error) {
	c := newAPIClient(cfg.server)
	if err := c.login(ctx, cfg.email, cfg.password); err != nil {
		return "", err
	}
	site := cfg.siteID
	if site == "" {
		const name = "breeze-sim"
		org, err := c.findOrCreate(ctx, "/api/v1/orgs", "", name, map[string]string{"name": name})
		if err != nil {
			return "", err
		}
		site, err = c.findOrCreate(ctx, "/api/v1/sites", "&orgId="+url.QueryEscape(org), name,
			map[string]string{"orgId": org, "name": name})
		if err != nil {
			return "", err
		}
	}
	exp := time.Now().Add(30 * 24 * time.Hour).UTC()
	var out struct {
		Key string `json:"key"`
	}
	err := c.call(ctx, http.MethodPost, "/api/v1/enrollment-keys",
		map[string]any{"siteId": site, "name": "breeze-sim " + time.Now().UTC().Format(time.RFC3339), "expiresAt": exp, "maxUses": 0},
		&out, http.StatusCreated)
	if err != nil {
		return "", err
	}
	if out.Key == "" {
		return "", fmt.Errorf("the server minted a key but answered no secret")
	}
	return out.Key, nil
}

// readKey reads an enrollment key from a file (first line, trimmed).
func readKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	k, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if k == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return strings.TrimSpace(k), nil
}
