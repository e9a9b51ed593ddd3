package api

import (
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
