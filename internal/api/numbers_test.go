package api

import "testing"

func TestPlainNumber(t *testing.T) {
	for in, want := range map[string]string{
		"010-5555-6666":    "01055556666",
		"02 1599 0000":     "0215990000",
		"(02) 1599-0000":   "0215990000",
		"1588-0000":        "15880000",
		"+82-10-5555-6666": "+821055556666",
		"01055556666":      "01055556666",
		"02-abc":           "02-abc",
		"agent:lee":        "agent:lee",
		"9+01012345678":    "9+01012345678", // a + inside is not E.164: left for the rules to refuse
		"--":               "--",
		"":                 "",
	} {
		if got := plainNumber(in); got != want {
			t.Errorf("plainNumber(%q) = %q, want %q", in, got, want)
		}
	}
}
