package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func pgtestOpen(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// waitLogin waits for the server at addr and returns the status of a sign-in.
func waitLogin(t *testing.T, addr, email, password string) int {
	t.Helper()
	body := `{"email":"` + email + `","password":"` + password + `"}`
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Post("http://"+addr+"/api/v1/auth/login", "application/json", strings.NewReader(body))
		if err == nil {
			resp.Body.Close()
			return resp.StatusCode
		}
		if time.Now().After(deadline) {
			t.Fatalf("server at %s never answered: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
