package provision

import (
	"reflect"
	"strings"
	"testing"

	"ringdesk/internal/site"
)

const phoneSite = `services:
  - { id: support, cti: true, queues: [{ number: "100" }] }
  - { id: sales, cti: true }
agents:
  - { login: kim, password: pw-kim, services: [support, sales], phone: browser }
  - { login: lee, password: pw-lee, services: [support, sales], phone: browser, phone_services: [sales] }
  - { login: han, password: pw-han, services: [support], phone: browser, phone_services: [] }
`

// The 전화 permission is explicit per agent and service; a file that leaves it out (every
// file written before it existed) gives it in all the agent's CTI services, as before; an
// empty list gives it nowhere. Applied twice, nothing moves. (Fails before: there was no
// such field, and phone_services was an unknown field.)
func TestPhonePermissionIsExplicit(t *testing.T) {
	st := newStore(t)
	path := siteDir(t, phoneSite)
	apply(t, st, path)
	s := loadSite(t, st)
	kim, lee, han := agentOf(t, s, "kim"), agentOf(t, s, "lee"), agentOf(t, s, "han")
	if kim.PhoneServices != nil || !kim.HasPhone("support") || !kim.HasPhone("sales") {
		t.Errorf("kim, left out: %v", kim.PhoneServices)
	}
	if lee.PhoneServices == nil || !reflect.DeepEqual(*lee.PhoneServices, []string{"sales"}) || lee.HasPhone("support") || !lee.HasPhone("sales") {
		t.Errorf("lee, sales only: %v", lee.PhoneServices)
	}
	if han.PhoneServices == nil || len(*han.PhoneServices) != 0 || han.HasPhone("support") {
		t.Errorf("han, nowhere: %v", han.PhoneServices)
	}
	if rep := apply(t, st, path); rep.Changed() {
		t.Fatalf("a second apply changed something:\n%s", rep)
	}
	if again := loadSite(t, st); !reflect.DeepEqual(again, s) {
		t.Fatal("the permission did not survive the store")
	}
}

func TestPhonePermissionRules(t *testing.T) {
	s := &site.Site{
		Services: []site.Service{{ID: "support", CTI: true}, {ID: "sales"}},
		Agents: []site.Agent{
			{Login: "kim", PasswordHash: "x", Services: []string{"support"}, PhoneServices: site.Phones("sales", "support", "support")},
		},
	}
	Defaults(s)
	var got []string
	for _, p := range ValidateSite(s) {
		got = append(got, p.Path+": "+p.Reason)
	}
	want := []string{
		`agents[0].phone_services[0]: service "sales" is not one of the agent's services (support): the 전화 permission is given in a service the agent works in`,
		`agents[0].phone_services[2]: service "support" is listed twice`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
