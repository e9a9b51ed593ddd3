package api

import (
	"strings"
	"sync"
	"testing"
)

// registrations is a registrar's answer, set by the test.
type registrations struct {
	mu  sync.Mutex
	set map[string]bool
}

func (r *registrations) Registered(ext string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.set[ext]
}

func (r *registrations) put(ext string, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.set[ext] = on
}

// CTI 로그인 with a desk phone that is not registered is allowed (the agent may be switching
// it on) but the view says so, and keeps saying it until the phone registers. (Fails before:
// nothing told the agent, who was then offered calls that rang nothing.)
func TestCTIViewSaysWhenTheDeskPhoneIsNotRegistered(t *testing.T) {
	e := newEnv(t)
	reg := &registrations{set: map[string]bool{}}
	e.stop()
	e.phones = reg
	e.start()
	kim := e.login("kim")
	var v struct {
		State string `json:"state"`
		Phone *struct {
			Kind       string `json:"kind"`
			Extension  string `json:"extension"`
			Registered bool   `json:"registered"`
		} `json:"phone"`
	}
	kim.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, &v)
	if v.State != "default" || v.Phone == nil || v.Phone.Registered || v.Phone.Extension != "1001" || v.Phone.Kind != "sip" {
		t.Fatalf("CTI 로그인 with an unregistered phone answers %+v (phone %+v)", v, v.Phone)
	}
	reg.put("1001", true)
	kim.must("GET", "/api/v1/cti", nil, 200, &v)
	if v.Phone == nil || !v.Phone.Registered {
		t.Fatalf("after REGISTER the view says %+v", v.Phone)
	}
}

// An administrator gives or takes the 전화 permission per agent and service; the agent's
// account says where it has it. (Fails before: every service the agent worked in counted.)
func TestPhonePermissionOverTheAPI(t *testing.T) {
	e := newEnv(t)
	root, kim := e.login("root"), e.login("kim")
	var me struct {
		Agent struct {
			Phone []string `json:"phone_services"`
		} `json:"agent"`
	}
	kim.must("GET", "/api/v1/session", nil, 200, &me)
	if len(me.Agent.Phone) != 1 || me.Agent.Phone[0] != "support" {
		t.Fatalf("kim, permission left out: %v", me.Agent.Phone)
	}
	body := map[string]any{"name": "KIM", "role": "agent", "services": []string{"support"}, "groups": []string{"tier1"},
		"extension": "1001", "phone": "sip", "phone_services": []string{}}
	root.must("PUT", "/api/v1/agents/kim", body, 200, nil)
	kim.must("GET", "/api/v1/session", nil, 200, &me)
	if len(me.Agent.Phone) != 0 {
		t.Fatalf("kim, permission taken: %v", me.Agent.Phone)
	}
	kim.fails("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 403, "no_phone_permission")
	body["phone_services"] = []string{"sales"}
	bad := root.fails("PUT", "/api/v1/agents/kim", body, 422, "invalid_config")
	if d := bad["details"].([]any)[0].(map[string]any); !strings.HasSuffix(d["path"].(string), ".phone_services[0]") {
		t.Fatalf("a permission outside the agent's services: %v", d)
	}
	body["phone_services"] = []string{"support"}
	root.must("PUT", "/api/v1/agents/kim", body, 200, nil)
	kim.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
}
