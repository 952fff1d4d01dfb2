package agentws

import (
	"testing"
	"time"
)

func TestSpreadSchedulesRefusalsAtTheAdmissionRate(t *testing.T) {
	s := newSpread(10, time.Second, time.Minute)
	now := time.Unix(1000, 0)
	for i := range 100 {
		d := s.refuse(now, 0)
		if want := time.Second + time.Duration(i)*100*time.Millisecond; d != want {
			t.Fatalf("refusal %d: back in %v, want %v", i, d, want)
		}
	}
	// A bucket's own wait is a floor.
	if d := s.refuse(now, 30*time.Second); d != 30*time.Second {
		t.Fatalf("with a 30 s floor: %v", d)
	}
	// Beyond the horizon: random in its last half, no reservation.
	s.next = now.Add(2 * time.Minute)
	for range 50 {
		if d := s.refuse(now, 0); d < 30*time.Second || d > time.Minute {
			t.Fatalf("beyond the horizon: %v", d)
		}
	}
}

func TestSpreadMeasuresTheRateWhileShedding(t *testing.T) {
	s := newSpread(100, time.Second, time.Hour)
	t0 := time.Unix(1000, 0)
	for sec := range 20 {
		now := t0.Add(time.Duration(sec) * time.Second)
		for range 5 {
			s.admit(now)
		}
		s.refuse(now, 0)
	}
	if s.rate < 5 || s.rate > 6 {
		t.Fatalf("rate %.1f after 20 s admitting 5/s while shedding, want about 5", s.rate)
	}
	// Seconds without refusals leave it alone.
	for sec := 20; sec < 40; sec++ {
		now := t0.Add(time.Duration(sec) * time.Second)
		s.admit(now)
	}
	if s.rate < 5 || s.rate > 6 {
		t.Fatalf("rate %.1f after quiet seconds, want about 5", s.rate)
	}
}
