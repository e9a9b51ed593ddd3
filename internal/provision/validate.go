package provision

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"ringdesk/internal/site"
)

var (
	slugRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	loginRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	hostRe  = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$`)
)

func digits(s string, plus bool) bool {
	if plus {
		s = strings.TrimPrefix(s, "+")
	}
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// audioRef reports whether s names audio the server can play: built in, or stored by hash.
func audioRef(s string) bool {
	return strings.HasPrefix(s, "builtin:") || (strings.HasPrefix(s, "sha256:") && len(s) == len("sha256:")+64)
}

// Defaults fills what a site may leave out: recall time 30 s, no_answer break, strategy
// longest_idle, role agent, phone sip when an extension is given, trunk port 5060.
func Defaults(s *site.Site) {
	for i := range s.Services {
		svc := &s.Services[i]
		if svc.RecallSeconds == 0 {
			svc.RecallSeconds = site.DefaultRecallSeconds
		}
		if svc.NoAnswer == "" {
			svc.NoAnswer = site.NoAnswerBreak
		}
		if svc.Name == "" {
			svc.Name = svc.ID
		}
		for j := range svc.Queues {
			if svc.Queues[j].Strategy == "" {
				svc.Queues[j].Strategy = site.StrategyLongestIdle
			}
		}
	}
	for i := range s.Agents {
		a := &s.Agents[i]
		if a.Role == "" {
			a.Role = site.RoleAgent
		}
		if a.Phone == "" && a.Extension != "" {
			a.Phone = site.PhoneSIP
		}
	}
	for i := range s.Trunks {
		if s.Trunks[i].Port == 0 {
			s.Trunks[i].Port = 5060
		}
	}
}

// ValidateSite checks a whole configuration (defaults already filled) and returns every
// problem. Dialled strings — DIDs, queue numbers, extensions — must be unambiguous site-wide.
func ValidateSite(s *site.Site) []Problem {
	c := &collector{}
	dialled := map[string]string{} // number → what it is, for collisions across kinds
	claim := func(number, what, path string) {
		if prev, ok := dialled[number]; ok {
			c.add(path, "%s %s is already used by %s", what, number, prev)
			return
		}
		dialled[number] = what + " at " + path
	}
	agents := map[string]*site.Agent{}
	for i := range s.Agents {
		a := &s.Agents[i]
		if _, dup := agents[a.Login]; dup {
			continue // reported below
		}
		agents[a.Login] = a
	}
	services := map[string]*site.Service{}
	for i := range s.Services {
		svc := &s.Services[i]
		p := fmt.Sprintf("services[%d]", i)
		switch {
		case svc.ID == "":
			c.add(p+".id", "is required")
		case !slugRe.MatchString(svc.ID):
			c.add(p+".id", "%q must be lower-case letters, digits, - and _ (at most 63)", svc.ID)
		case services[svc.ID] != nil:
			c.add(p+".id", "service %q is defined twice", svc.ID)
		default:
			services[svc.ID] = svc
		}
		if svc.RecallSeconds < 5 || svc.RecallSeconds > 600 {
			c.add(p+".recall_seconds", "must be 5..600 seconds (got %d)", svc.RecallSeconds)
		}
		if svc.AfterCallSeconds < 0 || svc.AfterCallSeconds > 3600 {
			c.add(p+".after_call_seconds", "must be 0 (the agent answers the notice) to 3600 seconds (got %d)", svc.AfterCallSeconds)
		}
		if svc.NoAnswer != site.NoAnswerBreak && svc.NoAnswer != site.NoAnswerReady {
			c.add(p+".no_answer", "must be break or ready (got %q)", svc.NoAnswer)
		}
		if svc.HoldAudio != "" && !audioRef(svc.HoldAudio) {
			c.add(p+".hold_audio", "%q is not stored audio", svc.HoldAudio)
		}
		if svc.HangupAnnouncement.Audio != "" && !audioRef(svc.HangupAnnouncement.Audio) {
			c.add(p+".hangup_announcement.audio", "%q is not stored audio", svc.HangupAnnouncement.Audio)
		}
		if len(svc.HangupAnnouncement.Text) > 1000 {
			c.add(p+".hangup_announcement.text", "is longer than 1000 bytes")
		}
		queues := map[string]bool{}
		for j, q := range svc.Queues {
			qp := fmt.Sprintf("%s.queues[%d]", p, j)
			if !digits(q.Number, false) {
				c.add(qp+".number", "%q must be digits", q.Number)
			} else if queues[q.Number] {
				c.add(qp+".number", "queue %s is defined twice", q.Number)
			} else {
				queues[q.Number] = true
				claim(q.Number, "queue number", qp+".number")
			}
			if q.Strategy != site.StrategyLongestIdle {
				c.add(qp+".strategy", "must be longest_idle (got %q)", q.Strategy)
			}
			members := map[string]bool{}
			for k, m := range q.Members {
				mp := fmt.Sprintf("%s.members[%d]", qp, k)
				a := agents[m]
				switch {
				case members[m]:
					c.add(mp, "%q is listed twice", m)
				case a == nil:
					c.add(mp, "%q is not an agent", m)
				case !contains(a.Services, svc.ID):
					c.add(mp, "agent %q does not work in service %q (add it to the agent's services)", m, svc.ID)
				}
				members[m] = true
			}
		}
		for j, n := range svc.Numbers {
			np := fmt.Sprintf("%s.numbers[%d]", p, j)
			if !digits(n.Number, true) {
				c.add(np+".number", "%q must be digits (a leading + is allowed)", n.Number)
			} else {
				claim(n.Number, "number", np+".number")
			}
			if n.Queue == "" {
				c.add(np+".queue", "is required: which queue the number rings")
			} else if !queues[n.Queue] {
				c.add(np+".queue", "queue %q is not a queue of service %q", n.Queue, svc.ID)
			}
			if n.Greeting != "" && n.Greeting != "none" && !audioRef(n.Greeting) {
				c.add(np+".greeting", "%q is not stored audio", n.Greeting)
			}
		}
		cids := map[string]bool{}
		for j, cid := range svc.CallerIDs {
			cp := fmt.Sprintf("%s.caller_ids[%d]", p, j)
			if !digits(cid.Number, true) {
				c.add(cp+".number", "%q must be digits", cid.Number)
			} else if cids[cid.Number] {
				c.add(cp+".number", "caller ID %s is listed twice", cid.Number)
			}
			cids[cid.Number] = true
			switch cid.Status {
			case site.CallerIDRequested, site.CallerIDRegistered, site.CallerIDRejected:
			default:
				c.add(cp+".status", "must be requested, registered or rejected (got %q)", cid.Status)
			}
		}
		for j, f := range svc.Favorites {
			fp := fmt.Sprintf("%s.favorites[%d]", p, j)
			if strings.TrimSpace(f.Name) == "" {
				c.add(fp+".name", "is required")
			}
			if !digits(f.Number, false) {
				c.add(fp+".number", "%q must be digits (an outside number is saved as 9+number)", f.Number)
			}
		}
		groups := map[string]bool{}
		for j, g := range svc.Groups {
			gp := fmt.Sprintf("%s.groups[%d]", p, j)
			if !slugRe.MatchString(g.ID) {
				c.add(gp+".id", "%q must be lower-case letters, digits, - and _", g.ID)
			} else if groups[g.ID] {
				c.add(gp+".id", "group %q is defined twice", g.ID)
			}
			groups[g.ID] = true
		}
	}
	seenLogin := map[string]bool{}
	extensions := map[string]string{}
	for i := range s.Agents {
		a := &s.Agents[i]
		p := fmt.Sprintf("agents[%d]", i)
		switch {
		case a.Login == "":
			c.add(p+".login", "is required")
		case !loginRe.MatchString(a.Login):
			c.add(p+".login", "%q must be letters, digits, . _ - (at most 64)", a.Login)
		case seenLogin[a.Login]:
			c.add(p+".login", "agent %q is defined twice", a.Login)
		}
		seenLogin[a.Login] = true
		switch a.Role {
		case site.RoleAgent, site.RoleManager, site.RoleAdmin:
		default:
			c.add(p+".role", "must be agent, manager or admin (got %q)", a.Role)
		}
		if a.PasswordHash == "" && a.Password == "" {
			c.add(p+".password", "is required for a new account")
		}
		if len(a.Password) > 1024 {
			c.add(p+".password", "is longer than 1024 bytes")
		}
		svcSeen := map[string]bool{}
		for j, sid := range a.Services {
			sp := fmt.Sprintf("%s.services[%d]", p, j)
			if services[sid] == nil {
				c.add(sp, "service %q does not exist", sid)
			} else if svcSeen[sid] {
				c.add(sp, "service %q is listed twice", sid)
			}
			svcSeen[sid] = true
		}
		for j, g := range a.Groups {
			found := false
			for _, sid := range a.Services {
				if svc := services[sid]; svc != nil {
					for _, x := range svc.Groups {
						found = found || x.ID == g
					}
				}
			}
			if !found {
				c.add(fmt.Sprintf("%s.groups[%d]", p, j), "group %q is not a group of the agent's services", g)
			}
		}
		if a.Extension != "" {
			if !digits(a.Extension, false) || len(a.Extension) > 10 {
				c.add(p+".extension", "%q must be 1 to 10 digits", a.Extension)
			} else if other, dup := extensions[a.Extension]; dup {
				c.add(p+".extension", "extension %s is already %s's", a.Extension, other)
			} else {
				extensions[a.Extension] = a.Login
				claim(a.Extension, "extension", p+".extension")
			}
		}
		switch a.Phone {
		case "", site.PhoneBrowser:
		case site.PhoneSIP:
			if a.Extension == "" {
				c.add(p+".extension", "a sip phone needs an extension (CTI 상담원 정보)")
			} else if a.SIPHA1 == "" && a.SIPHA1SHA256 == "" && a.SIPPassword == "" {
				c.add(p+".sip_password", "a sip phone needs a SIP password")
			}
		default:
			c.add(p+".phone", "must be sip or browser (got %q)", a.Phone)
		}
	}
	trunkIDs := map[string]bool{}
	prefixes := map[string]string{}
	for i, t := range s.Trunks {
		p := fmt.Sprintf("trunks[%d]", i)
		if !slugRe.MatchString(t.ID) {
			c.add(p+".id", "%q must be lower-case letters, digits, - and _", t.ID)
		} else if trunkIDs[t.ID] {
			c.add(p+".id", "trunk %q is defined twice", t.ID)
		}
		trunkIDs[t.ID] = true
		if t.Host == "" {
			c.add(p+".host", "is required: where outbound calls go")
		} else if _, err := netip.ParseAddr(t.Host); err != nil && !hostRe.MatchString(t.Host) {
			c.add(p+".host", "%q is not a host name or IP address", t.Host)
		}
		if t.Port < 1 || t.Port > 65535 {
			c.add(p+".port", "must be 1..65535 (got %d)", t.Port)
		}
		for j, a := range t.Allow {
			if _, err := netip.ParsePrefix(a); err != nil {
				if _, err := netip.ParseAddr(a); err != nil {
					c.add(fmt.Sprintf("%s.allow[%d]", p, j), "%q is not an IP address or CIDR", a)
				}
			}
		}
		if t.Prefix != "" && !digits(t.Prefix, false) {
			c.add(p+".prefix", "%q must be digits", t.Prefix)
		} else if other, dup := prefixes[t.Prefix]; dup {
			c.add(p+".prefix", "prefix %q already selects trunk %q", t.Prefix, other)
		} else {
			prefixes[t.Prefix] = t.ID
		}
		if t.Password != "" && t.Username == "" {
			c.add(p+".username", "is required with a password")
		}
	}
	return c.list
}

func contains(list []string, x string) bool {
	for _, v := range list {
		if v == x {
			return true
		}
	}
	return false
}
