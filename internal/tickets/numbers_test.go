package tickets

import "testing"

func TestDisplayNumber(t *testing.T) {
	for in, want := range map[string]string{
		"01055556666":   "010-5555-6666",
		"0101234567":    "010-123-4567",
		"0215990000":    "02-1599-0000",
		"021234567":     "02-123-4567",
		"0311234567":    "031-123-4567",
		"03112345678":   "031-1234-5678",
		"050512345678":  "0505-1234-5678",
		"15880000":      "1588-0000",
		"1001":          "1001",
		"+821055556666": "+821055556666",
		"":              "",
	} {
		if got := DisplayNumber(in); got != want {
			t.Errorf("DisplayNumber(%q) = %q, want %q", in, got, want)
		}
	}
}
