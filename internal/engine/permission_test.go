package engine

import (
	"testing"

	"ringdesk/internal/agent"
	"ringdesk/internal/site"
)

// The 전화 permission is explicit: an agent of a CTI service without it cannot log in to CTI,
// and losing it logs an idle agent out. Left out of the configuration, the agent has it in its
// CTI services as before. (Fails before: working in the service was the permission.)
func TestPhonePermissionIsChecked(t *testing.T) {
	h := newHarness(t, func(s *site.Site) {
		for i := range s.Agents {
			if s.Agents[i].Login == "lee" {
				s.Agents[i].PhoneServices = site.Phones()
			}
		}
	})
	if got := code(h.eng.Login("lee", "support")); got != "no_phone_permission" {
		t.Fatalf("lee without the permission logs in: %q", got)
	}
	h.ok(h.eng.Login("kim", "support")) // left out: the permission of before
	h.state("kim", agent.Default)
	h.reconfigure(func(s *site.Site) {
		for i := range s.Agents {
			if s.Agents[i].Login == "kim" {
				s.Agents[i].PhoneServices = site.Phones()
			}
		}
	})
	h.state("kim", agent.LoggedOut)
	h.reconfigure(func(s *site.Site) {
		for i := range s.Agents {
			if s.Agents[i].Login == "lee" {
				s.Agents[i].PhoneServices = site.Phones("support")
			}
		}
	})
	h.ok(h.eng.Login("lee", "support"))
}
