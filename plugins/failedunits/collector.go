package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/breeze-rmm/breeze/sdk"
)

const version = "1.0.0"

// maxListed bounds the unit list kept in the fact.
const maxListed = 50

// runner runs systemctl; tests replace it.
type runner func(ctx context.Context, args ...string) ([]byte, error)

// Collector reports failed systemd units.
type Collector struct {
	run     runner
	timeout time.Duration
}

// New returns a collector that runs the real systemctl.
func New() *Collector { return &Collector{run: systemctl, timeout: 10 * time.Second} }

func systemctl(ctx context.Context, args ...string) ([]byte, error) {
	path, err := exec.LookPath("systemctl")
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("systemctl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

func (*Collector) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "failedunits", Version: version, Description: "Failed systemd units"}, nil
}

// Collect never fails because systemd is missing or unusable: that is a fact too.
func (c *Collector) Collect(ctx context.Context) (sdk.Collection, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	units, err := c.failed(ctx)
	if ctx.Err() != nil && err != nil {
		return sdk.Collection{}, ctx.Err()
	}
	if err != nil {
		return sdk.Collection{Facts: []sdk.Fact{
			{Key: "systemd.available", Value: "false"},
			{Key: "systemd.error", Value: truncate(err.Error(), 200)},
		}}, nil
	}
	sort.Strings(units)
	listed := units
	if len(listed) > maxListed {
		listed = listed[:maxListed]
	}
	return sdk.Collection{
		Metrics: []sdk.Metric{{Name: "systemd.failed_units", Value: float64(len(units)), Unit: "units"}},
		Facts: []sdk.Fact{
			{Key: "systemd.available", Value: "true"},
			{Key: "systemd.failed_units", Value: strings.Join(listed, ",")},
			{Key: "systemd.failed_count", Value: strconv.Itoa(len(units))},
		},
	}, nil
}

// failed asks for JSON first (systemd >= 246) and falls back to plain text.
func (c *Collector) failed(ctx context.Context) ([]string, error) {
	base := []string{"list-units", "--state=failed", "--no-pager", "--all"}
	out, err := c.run(ctx, append(base, "--output=json")...)
	if err == nil {
		if units, perr := parseJSON(out); perr == nil {
			return units, nil
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	out, err = c.run(ctx, append(base, "--plain", "--no-legend")...)
	if err != nil {
		return nil, err
	}
	return parsePlain(out), nil
}

func parseJSON(out []byte) ([]string, error) {
	var rows []struct {
		Unit string `json:"unit"`
	}
	if err := json.Unmarshal(out, &rows); err != nil {
		return nil, fmt.Errorf("parse systemctl json: %w", err)
	}
	units := make([]string, 0, len(rows))
	for _, r := range rows {
		if r.Unit != "" {
			units = append(units, r.Unit)
		}
	}
	return units, nil
}

// parsePlain reads "UNIT LOAD ACTIVE SUB DESCRIPTION" lines; a leading "●"
// marker (older systemd without --plain) is dropped.
func parsePlain(out []byte) []string {
	var units []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(strings.TrimLeft(sc.Text(), "● *"))
		if len(fields) > 0 && strings.Contains(fields[0], ".") {
			units = append(units, fields[0])
		}
	}
	return units
}

// truncate keeps at most n bytes of s without splitting a character
// (plugins import only the SDK, hence no shared helper).
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
