package tickets

import "strings"

// DisplayNumber writes a phone number the way Korean readers expect it — 010-5555-6666,
// 02-1599-0000, 031-123-4567, 1588-0000 — for text people read (a new ticket's subject). A
// number it does not recognise (an extension, a foreign number) is returned as it is. The
// console formats numbers the same way (internal/web/static/format.js).
func DisplayNumber(n string) string {
	for _, r := range n {
		if r < '0' || r > '9' {
			return n
		}
	}
	split := func(a, b int) string { return n[:a] + "-" + n[a:a+b] + "-" + n[a+b:] }
	switch {
	case strings.HasPrefix(n, "02") && len(n) == 9:
		return split(2, 3)
	case strings.HasPrefix(n, "02") && len(n) == 10:
		return split(2, 4)
	case strings.HasPrefix(n, "02"):
		return n
	case strings.HasPrefix(n, "050") && len(n) == 12:
		return split(4, 4)
	case strings.HasPrefix(n, "0") && len(n) == 10:
		return split(3, 3)
	case strings.HasPrefix(n, "0") && len(n) == 11:
		return split(3, 4)
	case len(n) == 8 && n[0] == '1' && n[1] >= '5':
		return n[:4] + "-" + n[4:]
	}
	return n
}
