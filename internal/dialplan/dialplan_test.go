package dialplan

import "testing"

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern, number string
		want            bool
	}{
		{"0[1-9]*", "01012345678", true},
		{"0[1-9]*", "0212345678", true},
		{"0[1-9]*", "0012345678", false},
		{"0[1-9]*", "0", false},
		{"0[1-9]*", "01", true},
		{"1[5-8]xxxxxx", "15880000", true},
		{"1[5-8]xxxxxx", "1588000", false},
		{"1[5-8]xxxxxx", "158800001", false},
		{"1[5-8]xxxxxx", "14880000", false},
		{"00*", "00882123", true},
		{"+*", "+88213456789", true},
		{"+*", "88213456789", false},
		{"060*", "0601234567", true},
		{"[135]x", "37", true},
		{"[135]x", "27", false},
		{"x", "a", false},
		{"*", "", true},
		{"12", "123", false},
		{"[1-", "1", false},
	}
	for _, c := range cases {
		if got := Match(c.pattern, c.number); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.number, got, c.want)
		}
	}
}

// The default plan: domestic and service numbers go out; international and premium rate do
// not (issue 9: +88213456789 and 00… went straight to the carrier).
func TestDefaultPlan(t *testing.T) {
	for number, want := range map[string]bool{
		"01055556666": true, "0212345678": true, "0311234567": true, "15880000": true, "16001234": true,
		"+88213456789": false, "0088213456789": false, "00112345": false, "0601234567": false, "0607777777": false,
		"112": false, "": false,
	} {
		if got := (Plan{}).Check(number).Allowed; got != want {
			t.Errorf("default plan, %q: allowed %v, want %v", number, got, want)
		}
	}
	if d := (Plan{}).Check("+88213456789"); d.Rule != "+*" {
		t.Errorf("the refusing rule is named: %+v", d)
	}
}

func TestDenyWins(t *testing.T) {
	p := Plan{Allow: []string{"*"}, Deny: []string{"060*"}}
	if p.Check("0601234567").Allowed || !p.Check("0212345678").Allowed {
		t.Error("deny must win over a catch-all allow")
	}
	intl := Plan{Allow: []string{"0[1-9]*", "00[1-9]*"}, Deny: []string{"060*"}}
	if !intl.Check("00112345678").Allowed {
		t.Error("a service may allow international calls")
	}
}

func TestValidate(t *testing.T) {
	for _, good := range []string{"0[1-9]*", "1[5-8]xxxxxx", "+*", "00*", "[135]x", "x"} {
		if msg := Validate(good); msg != "" {
			t.Errorf("%q: %s", good, msg)
		}
	}
	for _, bad := range []string{"", "0*1", "1+", "[a]", "[9-1]", "[", "abc", "01 23", "[]"} {
		if Validate(bad) == "" {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzMatch(f *testing.F) {
	for _, s := range []string{"0[1-9]*", "[1-", "[", "x*", "+*"} {
		f.Add(s, "01012345678")
	}
	f.Fuzz(func(t *testing.T, pattern, number string) {
		Match(pattern, number) // must not panic
		Validate(pattern)
	})
}
