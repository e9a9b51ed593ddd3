package dialplan

import (
	"fmt"
	"strings"
)

// Default is what a service without a dial plan of its own may call: domestic numbers (an
// area or mobile code: 0 and a non-zero digit) and 8-digit national service numbers
// (15xx-, 16xx-, 17xx-, 18xx-xxxx); never international (00…, +…) nor premium rate (060…).
var Default = Plan{Allow: []string{"0[1-9]*", "1[5-8]xxxxxx"}, Deny: []string{"00*", "+*", "060*"}}

// Plan is a service's outbound rules.
type Plan struct {
	Allow []string `json:"allow" yaml:"allow"`
	Deny  []string `json:"deny" yaml:"deny"`
}

// IsZero reports whether the plan says nothing, so that Default applies.
func (p Plan) IsZero() bool { return len(p.Allow) == 0 && len(p.Deny) == 0 }

// Decision says whether a number may be called, and why not.
type Decision struct {
	Allowed bool
	// Rule is the deny pattern that refused the number, or "" when no allow pattern matched.
	Rule string
}

// Check decides on number. Patterns that do not parse never match (Validate reports them).
func (p Plan) Check(number string) Decision {
	if p.IsZero() {
		p = Default
	}
	for _, d := range p.Deny {
		if Match(d, number) {
			return Decision{Rule: d}
		}
	}
	for _, a := range p.Allow {
		if Match(a, number) {
			return Decision{Allowed: true}
		}
	}
	return Decision{}
}

// Match reports whether pattern matches the whole number.
func Match(pattern, number string) bool {
	i := 0
	for j := 0; j < len(pattern); j++ {
		c := pattern[j]
		switch {
		case c == '*':
			return j == len(pattern)-1 // anything after, or nothing
		case i >= len(number):
			return false
		case c == 'x' || c == 'X':
			if !isDigit(number[i]) {
				return false
			}
		case c == '[':
			end := strings.IndexByte(pattern[j:], ']')
			if end < 0 || !inSet(pattern[j+1:j+end], number[i]) {
				return false
			}
			j += end
		default:
			if c != number[i] {
				return false
			}
		}
		i++
	}
	return i == len(number)
}

// inSet reports whether d is in a set like "1-9" or "135".
func inSet(set string, d byte) bool {
	if !isDigit(d) {
		return false
	}
	for k := 0; k < len(set); k++ {
		if k+2 < len(set) && set[k+1] == '-' {
			if set[k] <= d && d <= set[k+2] {
				return true
			}
			k += 2
			continue
		}
		if set[k] == d {
			return true
		}
	}
	return false
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// Validate says what is wrong with a pattern, or "" when it is good.
func Validate(pattern string) string {
	if pattern == "" {
		return "패턴이 비어 있습니다"
	}
	if len(pattern) > 40 {
		return "패턴은 40자를 넘을 수 없습니다"
	}
	for j := 0; j < len(pattern); j++ {
		c := pattern[j]
		switch {
		case isDigit(c), c == 'x', c == 'X':
		case c == '+':
			if j != 0 {
				return "+는 맨 앞에만 올 수 있습니다"
			}
		case c == '*':
			if j != len(pattern)-1 {
				return "*는 맨 끝에만 올 수 있습니다"
			}
		case c == '[':
			end := strings.IndexByte(pattern[j:], ']')
			if end < 2 {
				return "[ ]에는 숫자나 1-9 같은 범위를 넣으세요"
			}
			if msg := validSet(pattern[j+1 : j+end]); msg != "" {
				return msg
			}
			j += end
		default:
			return fmt.Sprintf("쓸 수 없는 문자 %q가 있습니다 (숫자, x, [1-9], 끝의 *, 맨 앞의 +만 쓸 수 있습니다)", string(c))
		}
	}
	return ""
}

func validSet(set string) string {
	for k := 0; k < len(set); k++ {
		if k+2 < len(set) && set[k+1] == '-' {
			if !isDigit(set[k]) || !isDigit(set[k+2]) || set[k] > set[k+2] {
				return "[ ] 안의 범위가 올바르지 않습니다"
			}
			k += 2
			continue
		}
		if !isDigit(set[k]) {
			return "[ ]에는 숫자나 1-9 같은 범위를 넣으세요"
		}
	}
	return ""
}
