package api

import "strings"

// plainNumber is a phone number as people write it — 010-5555-6666, 02 1599 0000,
// (02) 1599-0000, +82-10-5555-6666 — reduced to what is dialled and stored: digits, after a
// leading + for E.164. Anything else (letters, agent:kim) is returned as it was, for the
// rules that refuse it to quote it as written.
func plainNumber(s string) string {
	t := strings.TrimSpace(s)
	if t == "" {
		return s
	}
	var b strings.Builder
	for i, r := range t {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == '-' || r == ' ' || r == '.' || r == '(' || r == ')':
		default:
			return s
		}
	}
	if d := strings.TrimPrefix(b.String(), "+"); d == "" {
		return s
	}
	return b.String()
}
