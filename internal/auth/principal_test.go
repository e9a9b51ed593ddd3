package auth

import (
	"testing"

	"ringdesk/internal/site"
)

func TestPrincipal(t *testing.T) {
	agent := &site.Agent{Login: "kim", Name: "김상담", Role: site.RoleAgent, Services: []string{"support"}}
	mgr := &site.Agent{Login: "boss", Role: site.RoleManager, Services: []string{"support", "sales"}}
	lonely := &site.Agent{Login: "new", Role: site.RoleManager}
	admin := &site.Agent{Login: "root", Role: site.RoleAdmin}
	cases := []struct {
		who           *site.Agent
		service       string
		see, manage   bool
		administrator bool
	}{
		{agent, "support", true, false, false},
		{agent, "sales", false, false, false},
		{agent, "", false, false, false},
		{mgr, "support", true, true, false},
		{mgr, "sales", true, true, false},
		{mgr, "billing", false, false, false},
		{lonely, "support", false, false, false},
		{admin, "support", true, true, true},
		{admin, "a-service-created-later", true, true, true},
	}
	for _, c := range cases {
		p := PrincipalOf(c.who)
		if got := p.CanSeeService(c.service); got != c.see {
			t.Errorf("%s CanSeeService(%q) = %v, want %v", p.Login, c.service, got, c.see)
		}
		if got := p.CanManageService(c.service); got != c.manage {
			t.Errorf("%s CanManageService(%q) = %v, want %v", p.Login, c.service, got, c.manage)
		}
		if got := p.IsAdmin(); got != c.administrator {
			t.Errorf("%s IsAdmin() = %v, want %v", p.Login, got, c.administrator)
		}
	}
}

func TestPrincipalIsACopy(t *testing.T) {
	a := &site.Agent{Login: "kim", Name: "김상담", Role: site.RoleAgent, Services: []string{"support"}}
	p := PrincipalOf(a)
	a.Services[0] = "sales"
	if p.Login != "kim" || p.Name != "김상담" || p.Role != site.RoleAgent || !p.CanSeeService("support") || p.CanSeeService("sales") {
		t.Fatalf("the principal follows later edits of the agent: %+v", p)
	}
}
