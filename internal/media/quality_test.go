package media

import "testing"

func TestEstimateMOS(t *testing.T) {
	cases := []struct {
		name              string
		loss, jitter, rtt float64
		lo, hi            float64
	}{
		{"clean LAN", 0, 1, -1, 4.3, 4.45},
		{"1% loss", 1, 5, -1, 4.1, 4.35},
		{"5% loss", 5, 10, -1, 3.4, 3.9},
		{"20% loss", 20, 20, -1, 1.8, 2.7},
		{"satellite delay", 0, 5, 700, 3.0, 3.9},
		{"everything lost", 100, 0, -1, 1, 1.6},
	}
	for _, c := range cases {
		got := estimateMOS(c.loss, c.jitter, c.rtt)
		if got < c.lo || got > c.hi {
			t.Errorf("%s: MOS %.2f, want %.2f-%.2f", c.name, got, c.lo, c.hi)
		}
	}
	if a, b := estimateMOS(1, 5, -1), estimateMOS(3, 5, -1); a <= b {
		t.Errorf("more loss must not score better: %.2f at 1%%, %.2f at 3%%", a, b)
	}
}
