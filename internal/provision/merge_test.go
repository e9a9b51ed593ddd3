package provision

import (
	"reflect"
	"slices"
	"testing"

	"ringdesk/internal/auth"
	"ringdesk/internal/site"
)

func TestMergeInPlace(t *testing.T) {
	stored := &site.Site{
		Services: []site.Service{{ID: "a", Name: "A", Queues: []site.Queue{{Number: "1", Members: []string{"x"}}}}, {ID: "b"}, {ID: "c"}},
		Agents:   []site.Agent{{Login: "x", PasswordHash: "hx", Extension: "10", SIPHA1: "m", SIPHA1SHA256: "s"}, {Login: "y", PasswordHash: "hy"}},
		Trunks:   []site.Trunk{{ID: "t", Username: "u", Password: "secret"}, {ID: "v", Username: "u", Password: "other"}},
	}
	keep := clone(stored)
	file := &site.Site{
		Services: []site.Service{{ID: "new"}, {ID: "b", Name: "B"}, {ID: "b", Name: "again"}},
		Agents:   []site.Agent{{Login: "x", Extension: "10"}, {Login: "y", Extension: "20", Password: "pw"}},
		Trunks:   []site.Trunk{{ID: "t", Username: "u"}, {ID: "v", Username: "changed"}},
	}
	m, from := merge(stored, file)
	ids := keys(m.Services, func(s site.Service) string { return s.ID })
	if !slices.Equal(ids, []string{"a", "b", "c", "new", "b"}) || m.Services[1].Name != "B" || m.Services[4].Name != "again" {
		t.Errorf("services %v: stored order kept, replaced in place, new and repeated ones after", ids)
	}
	if !slices.Equal(from["services"], []int{-1, 1, -1, 0, 2}) || !slices.Equal(from["agents"], []int{0, 1}) {
		t.Errorf("origins %v", from)
	}
	x, y := m.Agents[0], m.Agents[1]
	if x.PasswordHash != "hx" || x.SIPHA1 != "m" || x.SIPHA1SHA256 != "s" {
		t.Errorf("x keeps its secrets: %+v", x)
	}
	if y.PasswordHash != "hy" || y.Password != "pw" || y.SIPHA1 != "" {
		t.Errorf("y keeps its hash for Hash to compare, and its plain password: %+v", y)
	}
	if m.Trunks[0].Password != "secret" || m.Trunks[1].Password != "" {
		t.Errorf("trunk passwords: %+v", m.Trunks)
	}
	Defaults(m)
	m.Services[0].Queues[0].Members[0] = "changed"
	if !reflect.DeepEqual(stored, keep) || file.Services[0].Name != "" {
		t.Error("Merge or Defaults on its result changed the inputs")
	}
}

func TestKeepSecretsDropsAStaleSIPSecret(t *testing.T) {
	stored := site.Agent{Login: "x", PasswordHash: "h", Extension: "10", SIPHA1: "m", SIPHA1SHA256: "s"}
	a := site.Agent{Login: "x", Extension: "11"}
	KeepSecrets(&a, &stored)
	if a.PasswordHash != "h" || a.SIPHA1 != "" || a.SIPHA1SHA256 != "" {
		t.Fatalf("%+v", a)
	}
	b := site.Agent{Login: "x", Extension: "10", PasswordHash: "new"}
	KeepSecrets(&b, &stored)
	if b.PasswordHash != "new" || b.SIPHA1 != "m" {
		t.Fatalf("%+v", b)
	}
}

func TestHash(t *testing.T) {
	a := site.Agent{Login: "kim", Password: "change-me", Extension: "1001", SIPPassword: "s1p"}
	if err := Hash(&a); err != nil {
		t.Fatal(err)
	}
	if a.Password != "" || a.SIPPassword != "" || !auth.VerifyPassword(a.PasswordHash, "change-me") ||
		a.SIPHA1 != auth.SIPHA1("1001", "s1p") || a.SIPHA1SHA256 != auth.SIPHA1SHA256("1001", "s1p") {
		t.Fatalf("%+v", a)
	}
	first := a.PasswordHash
	a.Password = "change-me"
	Hash(&a)
	if a.PasswordHash != first {
		t.Error("a password that still matches was hashed again")
	}
	a.Password = "another"
	Hash(&a)
	if a.PasswordHash == first || !auth.VerifyPassword(a.PasswordHash, "another") {
		t.Error("a new password was not hashed")
	}
	if err := Hash(&site.Agent{SIPPassword: "s"}); err == nil {
		t.Error("a SIP password without an extension hashed")
	}
	if err := Hash(&site.Agent{Password: string(make([]byte, 1025))}); err == nil {
		t.Error("an over-long password hashed")
	}
}
