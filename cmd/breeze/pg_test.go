package main

import (
	"context"
	"testing"

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
