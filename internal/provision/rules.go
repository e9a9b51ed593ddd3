package provision

import (
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"ringdesk/internal/dialplan"
	"ringdesk/internal/site"
)

// Defaults fills what a site may leave out: recall time 30 s, no_answer break, a service's
// name from its id, strategy longest_idle, role agent, phone sip for an agent with an
// extension, trunk port 5060, a media timeout of 60 s, a session interval of 1800 s and the
// time zone Asia/Seoul. A 0 recall time, port or SIP setting counts as left out.
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
		if svc.Recording.Mode == "" {
			svc.Recording.Mode = site.RecordNone
		}
		if svc.Recording.RetentionDays == 0 {
			svc.Recording.RetentionDays = site.DefaultRetentionDays
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
	if s.Timezone == "" {
		s.Timezone = site.DefaultTimezone
	}
	if s.SIP.MediaTimeoutSeconds == 0 {
		s.SIP.MediaTimeoutSeconds = site.DefaultMediaTimeoutSeconds
	}
	if s.SIP.SessionExpiresSeconds == 0 {
		s.SIP.SessionExpiresSeconds = site.DefaultSessionExpiresSeconds
	}
}

// Limits the rules enforce, named so that messages and tests agree.
const (
	minRecall, maxRecall = 5, 600
	// a far end may be silent a few seconds (a phone's own silence suppression, a network
	// hiccup) and a call may not outlive a dead peer by more than an hour
	minMediaTimeout, maxMediaTimeout = 5, 3600
	// RFC 4028 §4: no session interval below 90 s; above a day a dead call lingers too long
	minSessionExpires, maxSessionExpires = 90, 86400
	maxAfterCall                         = 3600
	maxExtensionDigits                   = 10
	maxNumberDigits                      = 32
	maxTextBytes                         = 1000 // the 강성종료 announcement text
	maxNameRunes                         = 100
	maxSecretBytes                       = 1024
	maxDialPatterns                      = 100
)

var (
	slugRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	loginRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	hostRe  = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$`)
	hexRe   = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// maxRetentionDays bounds how long recordings may be kept: ten years.
const maxRetentionDays = 3650

// builtinAudio is what internal/media plays without a stored prompt (media/builtin.go).
var builtinAudio = []string{"builtin:hold", "builtin:hangup", "builtin:ringback", "builtin:silence", "builtin:greeting", "builtin:recording"}

func itoa(n int) string { return strconv.Itoa(n) }

// digits reports whether s is a dialled string: 1..maxNumberDigits digits, after a leading +
// when plus allows E.164 form.
func digits(s string, plus bool) bool {
	if plus {
		s = strings.TrimPrefix(s, "+")
	}
	if s == "" || len(s) > maxNumberDigits {
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
	if id, ok := strings.CutPrefix(s, "sha256:"); ok {
		return hexRe.MatchString(id)
	}
	return slices.Contains(builtinAudio, s)
}

// namer names the i-th entity of a kind (services, agents, trunks) in problem paths, and says
// whether it is only in the stored site (not in the file being checked).
type namer func(kind string, i int) (name string, stored bool)

func byIndex(kind string, i int) (string, bool) { return fmt.Sprintf("%s[%d]", kind, i), false }

// entity is where problems about one top-level entity go.
type entity struct {
	name   string
	stored bool
}

// ValidateSite checks a whole configuration (Defaults already applied) and returns every
// problem, with paths by position in s (services[0].queues[1].members[2]). Dialled strings —
// DIDs, queue numbers, extensions — must be unambiguous site-wide.
func ValidateSite(s *site.Site) []Problem { return validate(s, byIndex) }

// ValidateSiteByKey is ValidateSite with every entity named by its key rather than its
// position — services[id=support].queues[0], agents[login=kim].extension, trunks[id=carrier]
// — as a program editing one entity at a time (the admin API, the console) refers to them.
func ValidateSiteByKey(s *site.Site) []Problem {
	return validate(s, func(kind string, i int) (string, bool) {
		switch kind {
		case "services":
			return fmt.Sprintf("services[id=%s]", s.Services[i].ID), false
		case "agents":
			return fmt.Sprintf("agents[login=%s]", s.Agents[i].Login), false
		}
		return fmt.Sprintf("trunks[id=%s]", s.Trunks[i].ID), false
	})
}

func validate(s *site.Site, name namer) []Problem {
	c := &checker{s: s, name: name, dialled: map[string]claim{},
		services: map[string]*site.Service{}, agents: map[string]*site.Agent{}, extensions: map[string]string{}}
	for i := range s.Services {
		if id := s.Services[i].ID; c.services[id] == nil {
			c.services[id] = &s.Services[i]
		}
	}
	for i := range s.Agents {
		a := &s.Agents[i]
		if c.agents[a.Login] == nil {
			c.agents[a.Login] = a
		}
		if a.Extension != "" {
			if _, ok := c.extensions[a.Extension]; !ok {
				c.extensions[a.Extension] = a.Login
			}
		}
	}
	seenService := map[string]bool{}
	for i := range s.Services {
		c.service(c.at("services", i), &s.Services[i], seenService)
	}
	seenLogin := map[string]bool{}
	for i := range s.Agents {
		c.agent(c.at("agents", i), &s.Agents[i], seenLogin)
	}
	c.trunks()
	c.sip()
	c.timezone()
	return c.list
}

// timezone checks the zone the figures count days in: an IANA name the built-in zone
// database knows. "Local" is refused: it would be whatever zone the server happens to run in.
func (c *checker) timezone() {
	name := c.s.Timezone
	if name == "" {
		return // the default
	}
	if _, err := site.LoadTimezone(name); err != nil || name == "Local" {
		c.list = append(c.list, Problem{Path: "timezone", Code: "time_zone", Params: map[string]string{"value": name},
			Reason: fmt.Sprintf("%q is not a time zone: give an IANA name such as Asia/Seoul or UTC", name)})
	}
}

func (c *checker) sip() {
	st := c.s.SIP
	for _, x := range []struct {
		path        string
		v, min, max int
	}{{"sip.media_timeout_seconds", st.MediaTimeoutSeconds, minMediaTimeout, maxMediaTimeout},
		{"sip.session_expires_seconds", st.SessionExpiresSeconds, minSessionExpires, maxSessionExpires}} {
		if x.v < x.min || x.v > x.max {
			c.list = append(c.list, Problem{Path: x.path, Code: "range",
				Params: map[string]string{"min": itoa(x.min), "max": itoa(x.max), "value": itoa(x.v)},
				Reason: fmt.Sprintf("must be %d to %d seconds (got %d)", x.min, x.max, x.v)})
		}
	}
}

type checker struct {
	s          *site.Site
	name       namer
	list       []Problem
	services   map[string]*site.Service // first of each id
	agents     map[string]*site.Agent   // first of each login
	extensions map[string]string        // extension → login, first of each
	dialled    map[string]claim
}

// claim is what a dialled string already means, and where.
type claim struct {
	what string
	why  why // the meaning for programs: kind (queue, did, extension) and whose
	at   entity
	path string
}

func (c *checker) at(kind string, i int) entity {
	n, stored := c.name(kind, i)
	return entity{n, stored}
}

// why is a problem's kind for programs — the console words it in the user's language from a
// catalogue keyed by code and path — and the values its reason names. The English reason is
// for operators reading the command's output.
type why struct {
	code   string
	params []string // name, value, name, value…
}

func because(code string, params ...string) why { return why{code, params} }

// add records a problem at e's field sub (".id", ".queues[1].number", "" for e itself).
func (c *checker) add(e entity, sub string, w why, format string, args ...any) {
	reason := fmt.Sprintf(format, args...)
	if e.stored {
		reason += " (in the stored site, which this file leaves as it is)"
	}
	p := Problem{Path: e.name + sub, Reason: reason, Code: w.code}
	if len(w.params) > 1 {
		p.Params = map[string]string{}
		for i := 0; i+1 < len(w.params); i += 2 {
			p.Params[w.params[i]] = w.params[i+1]
		}
	}
	c.list = append(c.list, p)
}

// claimNumber makes number mean what, site-wide. A second meaning is one problem, put on the
// file's entity when the other is only stored (that is the one the operator is editing),
// otherwise on the later of the two.
func (c *checker) claimNumber(number, what string, meaning why, e entity, sub string) {
	prev, taken := c.dialled[number]
	if !taken {
		c.dialled[number] = claim{what, meaning, e, sub}
		return
	}
	if e.stored && !prev.at.stored {
		c.add(prev.at, prev.path, because("number_taken", append([]string{"number", number}, meaning.params...)...),
			"%s is also %s: a dialled number must mean one thing", number, what)
		c.dialled[number] = claim{what, meaning, e, sub}
		return
	}
	c.add(e, sub, because("number_taken", append([]string{"number", number}, prev.why.params...)...),
		"%s is already %s: a dialled number must mean one thing", number, prev.what)
}

// text checks a name shown to people and sent in SIP display names: no control characters
// (a newline there would end a SIP header), and not too long.
func (c *checker) text(e entity, sub, s string, required bool) {
	switch {
	case strings.TrimSpace(s) == "":
		if required {
			c.add(e, sub, because("required"), "is required")
		}
	case strings.ContainsFunc(s, unicode.IsControl):
		c.add(e, sub, because("control_chars"), "must not contain control characters (tabs, line breaks)")
	case len([]rune(s)) > maxNameRunes:
		c.add(e, sub, because("too_long", "max", itoa(maxNameRunes)), "is longer than %d characters", maxNameRunes)
	}
}

func (c *checker) audio(e entity, sub, ref string, noneAllowed bool) {
	if ref == "" || noneAllowed && ref == "none" || audioRef(ref) {
		return
	}
	if strings.HasPrefix(ref, "builtin:") {
		c.add(e, sub, because("audio_not_builtin", "value", ref), "%q is not built-in audio (built in: %s)", ref, strings.Join(builtinAudio, ", "))
		return
	}
	c.add(e, sub, because("audio_not_stored", "value", ref), "%q is not stored audio (give a WAV file in the site file, or sha256:<id> of stored audio)", ref)
}

func (c *checker) service(e entity, svc *site.Service, seen map[string]bool) {
	switch {
	case svc.ID == "":
		c.add(e, ".id", because("required"), "is required")
	case !slugRe.MatchString(svc.ID):
		c.add(e, ".id", because("slug", "value", svc.ID), "%q must be a slug: lower-case letters, digits, - and _, starting with a letter or digit, at most 63", svc.ID)
	case seen[svc.ID]:
		c.add(e, ".id", because("duplicate", "value", svc.ID), "service %q is defined twice", svc.ID)
	}
	seen[svc.ID] = true
	c.text(e, ".name", svc.Name, false)
	if svc.RecallSeconds < minRecall || svc.RecallSeconds > maxRecall {
		c.add(e, ".recall_seconds", because("range", "min", itoa(minRecall), "max", itoa(maxRecall), "value", itoa(svc.RecallSeconds)),
			"must be %d to %d seconds (got %d)", minRecall, maxRecall, svc.RecallSeconds)
	}
	if svc.AfterCallSeconds < 0 || svc.AfterCallSeconds > maxAfterCall {
		c.add(e, ".after_call_seconds", because("range", "min", "0", "max", itoa(maxAfterCall), "value", itoa(svc.AfterCallSeconds)),
			"must be 0 (the agent answers the notice) to %d seconds (got %d)", maxAfterCall, svc.AfterCallSeconds)
	}
	if svc.NoAnswer != site.NoAnswerBreak && svc.NoAnswer != site.NoAnswerReady {
		c.add(e, ".no_answer", because("one_of", "value", string(svc.NoAnswer), "allowed", "break, ready"), "must be break or ready (got %q)", svc.NoAnswer)
	}
	c.audio(e, ".hold_audio", svc.HoldAudio, false)
	if t := svc.HangupAnnouncement.Text; len(t) > maxTextBytes {
		c.add(e, ".hangup_announcement.text", because("too_long_bytes", "max", itoa(maxTextBytes)), "is longer than %d bytes", maxTextBytes)
	} else if strings.ContainsFunc(t, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) {
		c.add(e, ".hangup_announcement.text", because("control_chars"), "must not contain control characters other than line breaks")
	}
	c.audio(e, ".hangup_announcement.audio", svc.HangupAnnouncement.Audio, false)
	switch svc.Recording.Mode {
	case site.RecordNone, site.RecordAll, site.RecordOnDemand:
	default:
		c.add(e, ".recording.mode", because("one_of", "value", string(svc.Recording.Mode), "allowed", "all, none, on_demand"),
			"must be all, none or on_demand (got %q)", svc.Recording.Mode)
	}
	if d := svc.Recording.RetentionDays; d < 1 || d > maxRetentionDays {
		c.add(e, ".recording.retention_days", because("range", "min", "1", "max", itoa(maxRetentionDays), "value", itoa(d)),
			"must be 1 to %d days (got %d)", maxRetentionDays, d)
	}
	c.audio(e, ".recording.announce", svc.Recording.Announce, true)
	for _, dp := range []struct {
		kind string
		list []string
	}{{"allow", svc.DialPlan.Allow}, {"deny", svc.DialPlan.Deny}} {
		kind, list := dp.kind, dp.list
		if len(list) > maxDialPatterns {
			c.add(e, ".dial_plan."+kind, because("too_many", "max", itoa(maxDialPatterns)), "패턴은 %d개까지 둘 수 있습니다", maxDialPatterns)
		}
		for j, pat := range list {
			if msg := dialplan.Validate(pat); msg != "" {
				c.add(e, fmt.Sprintf(".dial_plan.%s[%d]", kind, j), because("dial_pattern", "value", pat, "why", msg), "%q: %s", pat, msg)
			}
		}
	}

	groups := map[string]bool{}
	for j, g := range svc.Groups {
		p := fmt.Sprintf(".groups[%d]", j)
		switch {
		case g.ID == "":
			c.add(e, p+".id", because("required"), "is required")
		case !slugRe.MatchString(g.ID):
			c.add(e, p+".id", because("slug", "value", g.ID), "%q must be a slug: lower-case letters, digits, - and _", g.ID)
		case groups[g.ID]:
			c.add(e, p+".id", because("duplicate", "value", g.ID), "group %q is defined twice in this service", g.ID)
		}
		groups[g.ID] = true
		c.text(e, p+".name", g.Name, false)
	}

	queues := map[string]bool{}
	for j, q := range svc.Queues {
		p := fmt.Sprintf(".queues[%d]", j)
		switch {
		case q.Number == "":
			c.add(e, p+".number", because("required"), "is required: the number that rings the queue")
		case !digits(q.Number, false):
			c.add(e, p+".number", because("digits", "value", q.Number, "max", itoa(maxNumberDigits)), "%q must be digits (at most %d)", q.Number, maxNumberDigits)
		default:
			queues[q.Number] = true
			c.claimNumber(q.Number, fmt.Sprintf("queue %s of service %q", q.Number, svc.ID),
				because("", "kind", "queue", "service", svc.ID, "queue", q.Number), e, p+".number")
		}
		c.text(e, p+".name", q.Name, false)
		if q.Strategy != site.StrategyLongestIdle {
			c.add(e, p+".strategy", because("one_of", "value", string(q.Strategy), "allowed", "longest_idle"), "must be longest_idle (got %q)", q.Strategy)
		}
		for _, th := range []struct {
			name     string
			v, limit int
		}{{"service_level_seconds", q.ServiceLevelSeconds, 3600}, {"service_level_target", q.ServiceLevelTarget, 100},
			{"wait_alert_seconds", q.WaitAlertSeconds, 86400}, {"short_abandon_seconds", q.ShortAbandonSeconds, 600}} {
			if th.v < 0 || th.v > th.limit {
				c.add(e, p+"."+th.name, because("range", "min", "0", "max", itoa(th.limit), "value", itoa(th.v)),
					"must be 0 (the default) to %d (got %d)", th.limit, th.v)
			}
		}
		members := map[string]bool{}
		for k, m := range q.Members {
			mp := fmt.Sprintf("%s.members[%d]", p, k)
			a := c.agents[m]
			switch {
			case members[m]:
				c.add(e, mp, because("duplicate", "value", m), "%q is listed twice", m)
			case a == nil:
				c.add(e, mp, because("not_an_agent", "value", m), "%q is not an agent", m)
			case !slices.Contains(a.Services, svc.ID):
				c.add(e, mp, because("agent_not_in_service", "agent", m, "service", svc.ID),
					"agent %q does not work in service %q (add %s to the agent's services)", m, svc.ID, svc.ID)
			}
			members[m] = true
		}
	}

	for j, n := range svc.Numbers {
		p := fmt.Sprintf(".numbers[%d]", j)
		switch {
		case n.Number == "":
			c.add(e, p+".number", because("required"), "is required: the number (DID) callers dial")
		case !digits(n.Number, true):
			c.add(e, p+".number", because("digits", "value", n.Number, "max", itoa(maxNumberDigits)),
				"%q must be digits, optionally after a leading + (at most %d)", n.Number, maxNumberDigits)
		default:
			c.claimNumber(n.Number, fmt.Sprintf("a number (DID) of service %q", svc.ID), because("", "kind", "did", "service", svc.ID), e, p+".number")
		}
		switch {
		case n.Queue == "":
			c.add(e, p+".queue", because("required"), "is required: the queue this number rings")
		case !queues[n.Queue]:
			c.add(e, p+".queue", because("not_a_queue", "value", n.Queue, "service", svc.ID), "%q is not a queue of service %q", n.Queue, svc.ID)
		}
		c.audio(e, p+".greeting", n.Greeting, true)
	}

	callerIDs := map[string]bool{}
	for j, cid := range svc.CallerIDs {
		p := fmt.Sprintf(".caller_ids[%d]", j)
		switch {
		case cid.Number == "":
			c.add(e, p+".number", because("required"), "is required")
		case !digits(cid.Number, true):
			c.add(e, p+".number", because("digits", "value", cid.Number, "max", itoa(maxNumberDigits)), "%q must be digits, optionally after a leading +", cid.Number)
		case callerIDs[cid.Number]:
			c.add(e, p+".number", because("duplicate", "value", cid.Number), "caller ID %s is listed twice", cid.Number)
		}
		callerIDs[cid.Number] = true
		switch cid.Status {
		case site.CallerIDRequested, site.CallerIDRegistered, site.CallerIDRejected:
		case "":
			c.add(e, p+".status", because("required"), "is required: requested, registered or rejected")
		default:
			c.add(e, p+".status", because("one_of", "value", string(cid.Status), "allowed", "requested, registered, rejected"),
				"must be requested, registered or rejected (got %q)", cid.Status)
		}
	}

	for j, fav := range svc.Favorites {
		p := fmt.Sprintf(".favorites[%d]", j)
		c.text(e, p+".name", fav.Name, true)
		switch {
		case fav.Number == "":
			c.add(e, p+".number", because("required"), "is required")
		case !digits(fav.Number, false):
			c.add(e, p+".number", because("favorite_digits", "value", fav.Number),
				"%q must be digits (an outside number is saved with its trunk prefix, e.g. 9 + number)", fav.Number)
		default:
			if reason, w := c.unreachable(svc, fav.Number); reason != "" {
				c.add(e, p+".number", w, "%s", reason)
			}
		}
	}
}

// unreachable says why a favourite cannot be dialled for a transfer, as the engine resolves a
// target: an extension anywhere, a queue of this service, or a number with a trunk's prefix
// (a trunk without a prefix serves only when it is the only trunk).
func (c *checker) unreachable(svc *site.Service, number string) (string, why) {
	if _, ok := c.extensions[number]; ok {
		return "", why{}
	}
	for _, q := range svc.Queues {
		if q.Number == number {
			return "", why{}
		}
	}
	best := -1
	var prefixes []string
	for i, t := range c.s.Trunks {
		if t.Prefix != "" && !slices.Contains(prefixes, t.Prefix) {
			prefixes = append(prefixes, t.Prefix)
		}
		if strings.HasPrefix(number, t.Prefix) && len(number) > len(t.Prefix) && (best < 0 || len(t.Prefix) > len(c.s.Trunks[best].Prefix)) {
			best = i
		}
	}
	if best >= 0 && (c.s.Trunks[best].Prefix != "" || len(c.s.Trunks) == 1) {
		return "", why{}
	}
	reason := fmt.Sprintf("%s is not an extension, a queue of service %q, or an outside number", number, svc.ID)
	switch {
	case len(c.s.Trunks) == 0:
		return reason + " (no trunk is configured)", because("unreachable_no_trunk", "value", number, "service", svc.ID)
	case len(prefixes) == 0:
		return reason + " (several trunks and none has a prefix)", because("unreachable_no_prefix", "value", number, "service", svc.ID)
	}
	return reason + fmt.Sprintf(" with a trunk prefix (%s)", strings.Join(prefixes, ", ")),
		because("unreachable", "value", number, "service", svc.ID, "prefixes", strings.Join(prefixes, ", "))
}

func (c *checker) agent(e entity, a *site.Agent, seen map[string]bool) {
	switch {
	case a.Login == "":
		c.add(e, ".login", because("required"), "is required")
	case !loginRe.MatchString(a.Login):
		c.add(e, ".login", because("login_format", "value", a.Login), "%q must be letters, digits, . _ and -, starting with a letter or digit, at most 64", a.Login)
	case seen[a.Login]:
		c.add(e, ".login", because("duplicate", "value", a.Login), "agent %q is defined twice", a.Login)
	}
	seen[a.Login] = true
	c.text(e, ".name", a.Name, false)
	switch a.Role {
	case site.RoleAgent, site.RoleManager, site.RoleAdmin:
	default:
		c.add(e, ".role", because("one_of", "value", string(a.Role), "allowed", "agent, manager, admin"), "must be agent, manager or admin (got %q)", a.Role)
	}
	switch {
	case a.Password == "" && a.PasswordHash == "":
		c.add(e, ".password", because("required"), "is required for a new account")
	case len(a.Password) > maxSecretBytes:
		c.add(e, ".password", because("too_long_bytes", "max", itoa(maxSecretBytes)), "is longer than %d bytes", maxSecretBytes)
	}

	inServices := map[string]bool{}
	for j, id := range a.Services {
		p := fmt.Sprintf(".services[%d]", j)
		switch {
		case c.services[id] == nil:
			c.add(e, p, because("no_service", "value", id), "service %q does not exist", id)
		case inServices[id]:
			c.add(e, p, because("duplicate", "value", id), "service %q is listed twice", id)
		}
		inServices[id] = true
	}
	if a.PhoneServices != nil {
		granted := map[string]bool{}
		for j, id := range *a.PhoneServices {
			p := fmt.Sprintf(".phone_services[%d]", j)
			switch {
			case granted[id]:
				c.add(e, p, because("duplicate", "value", id), "service %q is listed twice", id)
			case !inServices[id]:
				c.add(e, p, because("not_agents_service", "value", id),
					"service %q is not one of the agent's services (%s): the 전화 permission is given in a service the agent works in", id, strings.Join(a.Services, ", "))
			}
			granted[id] = true
		}
	}
	inGroups := map[string]bool{}
	for j, g := range a.Groups {
		p := fmt.Sprintf(".groups[%d]", j)
		switch {
		case inGroups[g]:
			c.add(e, p, because("duplicate", "value", g), "group %q is listed twice", g)
		case !c.hasGroup(a, g):
			c.add(e, p, because("not_agents_group", "value", g), "group %q is not a group of the agent's services (%s)", g, strings.Join(a.Services, ", "))
		}
		inGroups[g] = true
	}

	if a.Extension != "" {
		if !digits(a.Extension, false) || len(a.Extension) > maxExtensionDigits {
			c.add(e, ".extension", because("digits", "value", a.Extension, "max", itoa(maxExtensionDigits)), "%q must be 1 to %d digits", a.Extension, maxExtensionDigits)
		} else {
			c.claimNumber(a.Extension, fmt.Sprintf("agent %q's extension", a.Login), because("", "kind", "extension", "agent", a.Login), e, ".extension")
		}
	}
	switch {
	case len(a.SIPPassword) > maxSecretBytes:
		c.add(e, ".sip_password", because("too_long_bytes", "max", itoa(maxSecretBytes)), "is longer than %d bytes", maxSecretBytes)
	case a.SIPPassword != "" && a.Extension == "":
		c.add(e, ".sip_password", because("needs_extension"), "needs an extension: a phone registers as its extension with this password")
	}
	switch a.Phone {
	case "", site.PhoneBrowser:
	case site.PhoneSIP:
		if a.Extension == "" {
			c.add(e, ".extension", because("required"), "is required for a sip phone: the phone registers as it (CTI 상담원 정보)")
		} else if a.SIPPassword == "" && a.SIPHA1 == "" && a.SIPHA1SHA256 == "" {
			c.add(e, ".sip_password", because("required"), "is required for a sip phone with a new or changed extension: the digest secret is made from both")
		}
	default:
		c.add(e, ".phone", because("one_of", "value", string(a.Phone), "allowed", "sip, browser"), "must be sip or browser (got %q)", a.Phone)
	}
}

func (c *checker) hasGroup(a *site.Agent, g string) bool {
	for _, id := range a.Services {
		if svc := c.services[id]; svc != nil {
			for _, x := range svc.Groups {
				if x.ID == g {
					return true
				}
			}
		}
	}
	return false
}

func (c *checker) trunks() {
	ids := map[string]bool{}
	prefixes := map[string]string{} // prefix → trunk id
	for i := range c.s.Trunks {
		t := &c.s.Trunks[i]
		e := c.at("trunks", i)
		switch {
		case t.ID == "":
			c.add(e, ".id", because("required"), "is required")
		case !slugRe.MatchString(t.ID):
			c.add(e, ".id", because("slug", "value", t.ID), "%q must be a slug: lower-case letters, digits, - and _", t.ID)
		case ids[t.ID]:
			c.add(e, ".id", because("duplicate", "value", t.ID), "trunk %q is defined twice", t.ID)
		}
		ids[t.ID] = true
		if t.Host == "" {
			c.add(e, ".host", because("required"), "is required: where outbound calls go")
		} else if _, err := netip.ParseAddr(t.Host); err != nil && !hostRe.MatchString(t.Host) {
			if h, p, ok := strings.Cut(t.Host, ":"); ok && digits(p, false) && hostRe.MatchString(h) {
				c.add(e, ".host", because("host_port", "value", t.Host, "port", p), "%q: give the port in port: %s, not in host", t.Host, p)
			} else {
				c.add(e, ".host", because("host_format", "value", t.Host), "%q is not a host name or IP address", t.Host)
			}
		}
		if t.Port < 1 || t.Port > 65535 {
			c.add(e, ".port", because("range", "min", "1", "max", "65535", "value", itoa(t.Port)), "must be 1 to 65535 (got %d)", t.Port)
		}
		for j, a := range t.Allow {
			if _, err := netip.ParsePrefix(a); err == nil {
				continue
			}
			if _, err := netip.ParseAddr(a); err == nil {
				continue
			}
			c.add(e, fmt.Sprintf(".allow[%d]", j), because("address_format", "value", a), "%q is not an IP address or CIDR (e.g. 203.0.113.7 or 203.0.113.0/24)", a)
		}
		if t.Transport != "" && !slices.Contains(site.TrunkTransports, t.Transport) {
			c.add(e, ".transport", because("one_of", "value", t.Transport, "allowed", "udp, tcp, tls"), "%q must be udp, tcp or tls", t.Transport)
		}
		if t.OutboundProxy != "" {
			if why := proxyProblem(t.OutboundProxy); why != "" {
				c.add(e, ".outbound_proxy", because("proxy_format", "value", t.OutboundProxy), "%q %s", t.OutboundProxy, why)
			}
		}
		if t.Password != "" && t.Username == "" {
			c.add(e, ".username", because("required_with_password"), "is required with a password: the digest credentials toward the carrier")
		}
		if len(t.Password) > maxSecretBytes {
			c.add(e, ".password", because("too_long_bytes", "max", itoa(maxSecretBytes)), "is longer than %d bytes", maxSecretBytes)
		}
		// trunks sharing a prefix are one route tried in site order: a call goes on to the
		// next when one is down or cannot take it
		switch other, dup := prefixes[t.Prefix]; {
		case t.Prefix != "" && !digits(t.Prefix, false):
			c.add(e, ".prefix", because("digits", "value", t.Prefix, "max", itoa(maxNumberDigits)), "%q must be digits", t.Prefix)
		case dup && t.Prefix == "":
			c.add(e, ".prefix", because("prefix_unprefixed_taken", "trunk", other),
				"is required: trunk %q already has no prefix, and only one trunk can be the route for unprefixed numbers", other)
		case !dup:
			prefixes[t.Prefix] = t.ID
		}
	}
}

// proxyProblem says what is wrong with a trunk's outbound proxy ("" when nothing): host[:port]
// or sip:host[:port][;params], the host a name or an IP address ([…] for IPv6 with a port).
func proxyProblem(v string) string {
	const form = "is not host[:port] or sip:host[:port] (e.g. sbc.carrier.example:5060)"
	rest := v
	if i := strings.IndexByte(rest, ':'); i > 0 {
		if scheme := strings.ToLower(rest[:i]); scheme == "sip" || scheme == "sips" {
			rest = rest[i+1:]
		}
	}
	rest, _, _ = strings.Cut(rest, ";")
	if strings.Contains(rest, "@") || rest == "" {
		return form
	}
	host, port := rest, ""
	if h, p, err := net.SplitHostPort(rest); err == nil {
		host, port = h, p
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "has a port that is not 1 to 65535"
		}
	}
	if _, err := netip.ParseAddr(host); err != nil && !hostRe.MatchString(host) {
		return form
	}
	return ""
}
