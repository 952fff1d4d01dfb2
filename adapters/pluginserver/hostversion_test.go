package pluginserver

import "testing"

func TestCheckHostVersion(t *testing.T) {
	cases := []struct {
		host, min string
		refused   bool
	}{
		{"0.2.0", "0.1.0", false},
		{"v0.1.0", "0.1.0", false},
		{"0.0.9", "0.1.0", true},
		{"v0.9.0", "1.0.0", true},
		{"dev", "9.9.9", false},     // development builds skip the check
		{"3f7fd3b", "9.9.9", false}, // a bare commit hash too
		{"0.0.1", "", false},
	}
	for _, c := range cases {
		err := checkHostVersion(c.host, c.min)
		if (err != nil) != c.refused {
			t.Errorf("host %s, min %s: err %v, refused want %v", c.host, c.min, err, c.refused)
		}
	}
}
