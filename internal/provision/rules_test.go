package provision

import (
	"slices"
	"strings"
	"testing"

	"ringdesk/internal/auth"
	"ringdesk/internal/site"
)

// validSite is a small complete site that breaks no rule; each case below breaks one.
func validSite() *site.Site {
	return &site.Site{
		Services: []site.Service{{
			ID: "support", Name: "고객지원", CTI: true,
			HangupAnnouncement: site.Announcement{Text: "폭언 등으로 상담을 종료합니다."},
			Numbers:            []site.Number{{Number: "0212345678", Queue: "100"}},
			CallerIDs: []site.CallerID{{Number: "0212345678", Status: site.CallerIDRegistered},
				{Number: "0299998888", Status: site.CallerIDRequested}},
			Favorites: []site.Favorite{{Name: "기술지원", Number: "200"}, {Name: "본사", Number: "901012345678"}},
			Groups:    []site.Group{{ID: "tier1", Name: "1차 상담"}},
			Queues: []site.Queue{{Number: "100", Name: "일반문의", Members: []string{"kim", "lee"}},
				{Number: "200", Name: "기술지원", Members: []string{"lee"}}},
		}, {ID: "sales", Name: "영업"}},
		Agents: []site.Agent{
			{Login: "kim", Name: "김상담", PasswordHash: "h", Services: []string{"support"}, Groups: []string{"tier1"},
				Extension: "1001", SIPHA1: auth.SIPHA1("1001", "s")},
			{Login: "lee", Name: "이상담", Password: "change-me", Services: []string{"support", "sales"}, Phone: site.PhoneBrowser},
			{Login: "boss", Name: "관리자", PasswordHash: "h", Role: site.RoleAdmin},
		},
		Trunks: []site.Trunk{{ID: "carrier", Host: "127.0.0.1", Port: 5070, Allow: []string{"127.0.0.1/32"}, Prefix: "9"}},
	}
}

func problemLines(ps []Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func TestValidSiteHasNoProblems(t *testing.T) {
	s := validSite()
	Defaults(s)
	if ps := ValidateSite(s); len(ps) > 0 {
		t.Fatalf("the base site has problems:\n%s", strings.Join(problemLines(ps), "\n"))
	}
}

func TestDefaults(t *testing.T) {
	s := &site.Site{
		Services: []site.Service{{ID: "a", Queues: []site.Queue{{Number: "1"}}}, {ID: "b", Name: "B", RecallSeconds: 45, NoAnswer: site.NoAnswerReady}},
		Agents:   []site.Agent{{Login: "x", Extension: "10"}, {Login: "y"}, {Login: "z", Role: site.RoleAdmin, Extension: "11", Phone: site.PhoneBrowser}},
		Trunks:   []site.Trunk{{ID: "t"}, {ID: "u", Port: 5080}},
	}
	Defaults(s)
	a, b := s.Services[0], s.Services[1]
	if a.RecallSeconds != 30 || a.NoAnswer != site.NoAnswerBreak || a.Name != "a" || a.Queues[0].Strategy != site.StrategyLongestIdle {
		t.Errorf("service defaults: %+v", a)
	}
	if b.RecallSeconds != 45 || b.NoAnswer != site.NoAnswerReady || b.Name != "B" {
		t.Errorf("defaults overrode given values: %+v", b)
	}
	x, y, z := s.Agents[0], s.Agents[1], s.Agents[2]
	if x.Role != site.RoleAgent || x.Phone != site.PhoneSIP || y.Phone != "" || z.Role != site.RoleAdmin || z.Phone != site.PhoneBrowser {
		t.Errorf("agent defaults: %+v %+v %+v", x, y, z)
	}
	if s.Trunks[0].Port != 5060 || s.Trunks[1].Port != 5080 {
		t.Errorf("trunk ports %d %d", s.Trunks[0].Port, s.Trunks[1].Port)
	}
	if s.SIP != (site.SIPSettings{MediaTimeoutSeconds: 60, SessionExpiresSeconds: 1800}) {
		t.Errorf("sip defaults: %+v", s.SIP)
	}
	if s.Timezone != "Asia/Seoul" {
		t.Errorf("time zone default: %q", s.Timezone)
	}
	given := &site.Site{SIP: site.SIPSettings{MediaTimeoutSeconds: 20, SessionExpiresSeconds: 600}}
	Defaults(given)
	if given.SIP != (site.SIPSettings{MediaTimeoutSeconds: 20, SessionExpiresSeconds: 600}) {
		t.Errorf("defaults overrode given sip settings: %+v", given.SIP)
	}
}

// Each case breaks one rule of a valid site and must produce exactly the listed problems.
func TestValidateSiteRules(t *testing.T) {
	sha := "sha256:" + strings.Repeat("ab", 32)
	cases := []struct {
		name   string
		change func(s *site.Site)
		want   []string
	}{
		// site-wide settings
		{"media timeout too short", func(s *site.Site) { s.SIP.MediaTimeoutSeconds = 4 },
			[]string{"sip.media_timeout_seconds: must be 5 to 3600 seconds (got 4)"}},
		{"media timeout too long", func(s *site.Site) { s.SIP.MediaTimeoutSeconds = 3601 },
			[]string{"sip.media_timeout_seconds: must be 5 to 3600 seconds (got 3601)"}},
		{"session interval below RFC 4028's floor", func(s *site.Site) { s.SIP.SessionExpiresSeconds = 89 },
			[]string{"sip.session_expires_seconds: must be 90 to 86400 seconds (got 89)"}},
		{"session interval negative, media timeout too", func(s *site.Site) { s.SIP.SessionExpiresSeconds, s.SIP.MediaTimeoutSeconds = -1, -1 },
			[]string{"sip.media_timeout_seconds: must be 5 to 3600 seconds (got -1)", "sip.session_expires_seconds: must be 90 to 86400 seconds (got -1)"}},
		{"sip settings at the bounds", func(s *site.Site) { s.SIP = site.SIPSettings{MediaTimeoutSeconds: 5, SessionExpiresSeconds: 86400} }, nil},
		{"time zone unknown", func(s *site.Site) { s.Timezone = "Asia/Busan" },
			[]string{`timezone: "Asia/Busan" is not a time zone: give an IANA name such as Asia/Seoul or UTC`}},
		{"time zone of the server", func(s *site.Site) { s.Timezone = "Local" },
			[]string{`timezone: "Local" is not a time zone: give an IANA name such as Asia/Seoul or UTC`}},
		{"time zone as an offset", func(s *site.Site) { s.Timezone = "+09:00" },
			[]string{`timezone: "+09:00" is not a time zone: give an IANA name such as Asia/Seoul or UTC`}},
		{"time zone UTC", func(s *site.Site) { s.Timezone = "UTC" }, nil},
		{"time zone elsewhere", func(s *site.Site) { s.Timezone = "America/New_York" }, nil},
		// services
		{"service id missing", func(s *site.Site) { s.Services = append(s.Services, site.Service{}) },
			[]string{"services[2].id: is required"}},
		{"service id not a slug", func(s *site.Site) { s.Services = append(s.Services, site.Service{ID: "Support!"}) },
			[]string{`services[2].id: "Support!" must be a slug: lower-case letters, digits, - and _, starting with a letter or digit, at most 63`}},
		{"service id twice", func(s *site.Site) { s.Services = append(s.Services, site.Service{ID: "sales"}) },
			[]string{`services[2].id: service "sales" is defined twice`}},
		{"service name with a line break", func(s *site.Site) { s.Services[1].Name = "영업\r\nX-Evil: 1" },
			[]string{"services[1].name: must not contain control characters (tabs, line breaks)"}},
		{"service name too long", func(s *site.Site) { s.Services[1].Name = strings.Repeat("가", 101) },
			[]string{"services[1].name: is longer than 100 characters"}},
		{"recall too short", func(s *site.Site) { s.Services[0].RecallSeconds = 4 },
			[]string{"services[0].recall_seconds: must be 5 to 600 seconds (got 4)"}},
		{"recall too long", func(s *site.Site) { s.Services[0].RecallSeconds = 601 },
			[]string{"services[0].recall_seconds: must be 5 to 600 seconds (got 601)"}},
		{"recall at the bounds", func(s *site.Site) { s.Services[0].RecallSeconds, s.Services[1].RecallSeconds = 5, 600 }, nil},
		{"recall negative", func(s *site.Site) { s.Services[0].RecallSeconds = -30 },
			[]string{"services[0].recall_seconds: must be 5 to 600 seconds (got -30)"}},
		{"after-call negative", func(s *site.Site) { s.Services[0].AfterCallSeconds = -1 },
			[]string{"services[0].after_call_seconds: must be 0 (the agent answers the notice) to 3600 seconds (got -1)"}},
		{"after-call too long", func(s *site.Site) { s.Services[0].AfterCallSeconds = 3601 },
			[]string{"services[0].after_call_seconds: must be 0 (the agent answers the notice) to 3600 seconds (got 3601)"}},
		{"no_answer unknown", func(s *site.Site) { s.Services[0].NoAnswer = "maybe" },
			[]string{`services[0].no_answer: must be break or ready (got "maybe")`}},
		{"hold audio is a path, not stored audio", func(s *site.Site) { s.Services[0].HoldAudio = "prompts/moh.wav" },
			[]string{`services[0].hold_audio: "prompts/moh.wav" is not stored audio (give a WAV file in the site file, or sha256:<id> of stored audio)`}},
		{"hold audio with a short hash", func(s *site.Site) { s.Services[0].HoldAudio = "sha256:abc" },
			[]string{`services[0].hold_audio: "sha256:abc" is not stored audio (give a WAV file in the site file, or sha256:<id> of stored audio)`}},
		{"hold audio built in and stored", func(s *site.Site) { s.Services[0].HoldAudio, s.Services[1].HoldAudio = "builtin:hold", sha }, nil},
		{"unknown built-in audio", func(s *site.Site) { s.Services[0].HangupAnnouncement.Audio = "builtin:jazz" },
			[]string{`services[0].hangup_announcement.audio: "builtin:jazz" is not built-in audio (built in: builtin:hold, builtin:hangup, builtin:ringback, builtin:silence, builtin:greeting, builtin:recording)`}},
		{"hold audio none", func(s *site.Site) { s.Services[0].HoldAudio = "none" },
			[]string{`services[0].hold_audio: "none" is not stored audio (give a WAV file in the site file, or sha256:<id> of stored audio)`}},
		{"announcement too long", func(s *site.Site) { s.Services[0].HangupAnnouncement.Text = strings.Repeat("x", 1001) },
			[]string{"services[0].hangup_announcement.text: is longer than 1000 bytes"}},
		{"announcement on two lines is fine, a tab is not", func(s *site.Site) {
			s.Services[0].HangupAnnouncement.Text = "폭언 등으로\n상담을 종료합니다."
			s.Services[1].HangupAnnouncement.Text = "a\tb"
		}, []string{"services[1].hangup_announcement.text: must not contain control characters other than line breaks"}},
		// groups
		{"group id missing", func(s *site.Site) { s.Services[1].Groups = []site.Group{{Name: "x"}} },
			[]string{"services[1].groups[0].id: is required"}},
		{"group id not a slug", func(s *site.Site) { s.Services[1].Groups = []site.Group{{ID: "Tier 1"}} },
			[]string{`services[1].groups[0].id: "Tier 1" must be a slug: lower-case letters, digits, - and _`}},
		{"group twice", func(s *site.Site) { s.Services[0].Groups = append(s.Services[0].Groups, site.Group{ID: "tier1"}) },
			[]string{`services[0].groups[1].id: group "tier1" is defined twice in this service`}},
		// queues
		{"queue number missing", func(s *site.Site) { s.Services[0].Queues = append(s.Services[0].Queues, site.Queue{}) },
			[]string{"services[0].queues[2].number: is required: the number that rings the queue"}},
		{"queue number not digits", func(s *site.Site) { s.Services[0].Queues[1].Number = "2OO"; s.Services[0].Favorites[0].Number = "901" },
			[]string{`services[0].queues[1].number: "2OO" must be digits (at most 32)`}},
		{"queue number twice in a service", func(s *site.Site) {
			s.Services[0].Queues = append(s.Services[0].Queues, site.Queue{Number: "100"})
		}, []string{`services[0].queues[2].number: 100 is already queue 100 of service "support": a dialled number must mean one thing`}},
		{"queue number in two services", func(s *site.Site) { s.Services[1].Queues = []site.Queue{{Number: "200"}} },
			[]string{`services[1].queues[0].number: 200 is already queue 200 of service "support": a dialled number must mean one thing`}},
		{"queue number is an extension", func(s *site.Site) { s.Services[1].Queues = []site.Queue{{Number: "1001"}} },
			[]string{`agents[0].extension: 1001 is already queue 1001 of service "sales": a dialled number must mean one thing`}},
		{"queue strategy unknown", func(s *site.Site) { s.Services[0].Queues[0].Strategy = "random" },
			[]string{`services[0].queues[0].strategy: must be longest_idle (got "random")`}},
		{"queue member not an agent", func(s *site.Site) { s.Services[0].Queues[0].Members[1] = "ghost" },
			[]string{`services[0].queues[0].members[1]: "ghost" is not an agent`}},
		{"queue member twice", func(s *site.Site) { s.Services[0].Queues[1].Members = []string{"lee", "lee"} },
			[]string{`services[0].queues[1].members[1]: "lee" is listed twice`}},
		{"queue member outside the service", func(s *site.Site) { s.Services[0].Queues[1].Members = []string{"lee", "boss"} },
			[]string{`services[0].queues[1].members[1]: agent "boss" does not work in service "support" (add support to the agent's services)`}},
		// numbers (DIDs)
		{"number missing", func(s *site.Site) { s.Services[0].Numbers = append(s.Services[0].Numbers, site.Number{Queue: "100"}) },
			[]string{"services[0].numbers[1].number: is required: the number (DID) callers dial"}},
		{"number with dashes", func(s *site.Site) { s.Services[0].Numbers[0].Number = "02-1234-5678" },
			[]string{`services[0].numbers[0].number: "02-1234-5678" must be digits, optionally after a leading + (at most 32)`}},
		{"number in E.164", func(s *site.Site) { s.Services[0].Numbers[0].Number = "+82212345678" }, nil},
		{"number too long", func(s *site.Site) { s.Services[0].Numbers[0].Number = strings.Repeat("1", 33) },
			[]string{`services[0].numbers[0].number: "` + strings.Repeat("1", 33) + `" must be digits, optionally after a leading + (at most 32)`}},
		{"number without a queue", func(s *site.Site) { s.Services[0].Numbers[0].Queue = "" },
			[]string{"services[0].numbers[0].queue: is required: the queue this number rings"}},
		{"number to a missing queue", func(s *site.Site) { s.Services[0].Numbers[0].Queue = "900" },
			[]string{`services[0].numbers[0].queue: "900" is not a queue of service "support"`}},
		{"number to another service's queue", func(s *site.Site) {
			s.Services[1].Queues = []site.Queue{{Number: "300"}}
			s.Services[0].Numbers[0].Queue = "300"
		}, []string{`services[0].numbers[0].queue: "300" is not a queue of service "support"`}},
		{"number twice across services", func(s *site.Site) {
			s.Services[1].Queues = []site.Queue{{Number: "300"}}
			s.Services[1].Numbers = []site.Number{{Number: "0212345678", Queue: "300"}}
		}, []string{`services[1].numbers[0].number: 0212345678 is already a number (DID) of service "support": a dialled number must mean one thing`}},
		{"number is a queue number", func(s *site.Site) { s.Services[0].Numbers[0].Number = "200" },
			[]string{`services[0].numbers[0].number: 200 is already queue 200 of service "support": a dialled number must mean one thing`}},
		{"number is an extension", func(s *site.Site) { s.Services[0].Numbers[0].Number = "1001" },
			[]string{`agents[0].extension: 1001 is already a number (DID) of service "support": a dialled number must mean one thing`}},
		{"greetings", func(s *site.Site) {
			s.Services[0].Numbers = append(s.Services[0].Numbers, site.Number{Number: "0211", Queue: "100", Greeting: "none"},
				site.Number{Number: "0212", Queue: "100", Greeting: "builtin:greeting"}, site.Number{Number: "0213", Queue: "100", Greeting: "hello.wav"})
		}, []string{`services[0].numbers[3].greeting: "hello.wav" is not stored audio (give a WAV file in the site file, or sha256:<id> of stored audio)`}},
		// caller IDs
		{"caller ID not digits", func(s *site.Site) { s.Services[0].CallerIDs[1].Number = "02 9999 8888" },
			[]string{`services[0].caller_ids[1].number: "02 9999 8888" must be digits, optionally after a leading +`}},
		{"caller ID twice", func(s *site.Site) { s.Services[0].CallerIDs[1].Number = "0212345678" },
			[]string{"services[0].caller_ids[1].number: caller ID 0212345678 is listed twice"}},
		{"caller ID status unknown", func(s *site.Site) { s.Services[0].CallerIDs[1].Status = "pending" },
			[]string{`services[0].caller_ids[1].status: must be requested, registered or rejected (got "pending")`}},
		{"caller ID status missing", func(s *site.Site) { s.Services[0].CallerIDs[1].Status = "" },
			[]string{"services[0].caller_ids[1].status: is required: requested, registered or rejected"}},
		{"caller ID missing", func(s *site.Site) { s.Services[0].CallerIDs[1].Number = "" },
			[]string{"services[0].caller_ids[1].number: is required"}},
		// favourites
		{"favourite without a name", func(s *site.Site) { s.Services[0].Favorites[0].Name = " " },
			[]string{"services[0].favorites[0].name: is required"}},
		{"favourite not digits", func(s *site.Site) { s.Services[0].Favorites[1].Number = "9-010-1234" },
			[]string{`services[0].favorites[1].number: "9-010-1234" must be digits (an outside number is saved with its trunk prefix, e.g. 9 + number)`}},
		{"favourite without its trunk prefix", func(s *site.Site) { s.Services[0].Favorites[1].Number = "01012345678" },
			[]string{`services[0].favorites[1].number: 01012345678 is not an extension, a queue of service "support", or an outside number with a trunk prefix (9)`}},
		{"favourite to an extension", func(s *site.Site) { s.Services[0].Favorites[1].Number = "1001" }, nil},
		{"favourite to another service's queue", func(s *site.Site) {
			s.Services[1].Queues = []site.Queue{{Number: "300"}}
			s.Services[0].Favorites[1].Number = "300"
		}, []string{`services[0].favorites[1].number: 300 is not an extension, a queue of service "support", or an outside number with a trunk prefix (9)`}},
		{"favourite through the only trunk, which has no prefix", func(s *site.Site) {
			s.Trunks[0].Prefix = ""
			s.Services[0].Favorites[1].Number = "01012345678"
		}, nil},
		{"favourite outside with no trunk", func(s *site.Site) { s.Trunks = nil },
			[]string{`services[0].favorites[1].number: 901012345678 is not an extension, a queue of service "support", or an outside number (no trunk is configured)`}},
		{"favourite that is only the prefix", func(s *site.Site) { s.Services[0].Favorites[1].Number = "9" },
			[]string{`services[0].favorites[1].number: 9 is not an extension, a queue of service "support", or an outside number with a trunk prefix (9)`}},
		// agents
		{"login missing", func(s *site.Site) { s.Agents = append(s.Agents, site.Agent{PasswordHash: "h"}) },
			[]string{"agents[3].login: is required"}},
		{"login with a space", func(s *site.Site) { s.Agents = append(s.Agents, site.Agent{Login: "kim lee", PasswordHash: "h"}) },
			[]string{`agents[3].login: "kim lee" must be letters, digits, . _ and -, starting with a letter or digit, at most 64`}},
		{"login twice", func(s *site.Site) { s.Agents = append(s.Agents, site.Agent{Login: "lee", PasswordHash: "h"}) },
			[]string{`agents[3].login: agent "lee" is defined twice`}},
		{"agent name with a newline", func(s *site.Site) { s.Agents[0].Name = "김\n상담" },
			[]string{"agents[0].name: must not contain control characters (tabs, line breaks)"}},
		{"role unknown", func(s *site.Site) { s.Agents[2].Role = "boss" },
			[]string{`agents[2].role: must be agent, manager or admin (got "boss")`}},
		{"new agent without a password", func(s *site.Site) { s.Agents[1].Password = "" },
			[]string{"agents[1].password: is required for a new account"}},
		{"password too long", func(s *site.Site) { s.Agents[1].Password = strings.Repeat("p", 1025) },
			[]string{"agents[1].password: is longer than 1024 bytes"}},
		{"service that does not exist", func(s *site.Site) { s.Agents[2].Services = []string{"nowhere"} },
			[]string{`agents[2].services[0]: service "nowhere" does not exist`}},
		{"service twice", func(s *site.Site) { s.Agents[1].Services = []string{"support", "sales", "support"} },
			[]string{`agents[1].services[2]: service "support" is listed twice`}},
		{"group outside the agent's services", func(s *site.Site) { s.Agents[1].Groups = []string{"tier1", "vip"} },
			[]string{`agents[1].groups[1]: group "vip" is not a group of the agent's services (support, sales)`}},
		{"group of a service the agent is not in", func(s *site.Site) { s.Agents[2].Groups = []string{"tier1"} },
			[]string{`agents[2].groups[0]: group "tier1" is not a group of the agent's services ()`}},
		{"group twice", func(s *site.Site) { s.Agents[0].Groups = []string{"tier1", "tier1"} },
			[]string{`agents[0].groups[1]: group "tier1" is listed twice`}},
		{"extension not digits", func(s *site.Site) { s.Agents[1].Extension = "10a" },
			[]string{`agents[1].extension: "10a" must be 1 to 10 digits`}},
		{"extension too long", func(s *site.Site) { s.Agents[1].Extension = "12345678901" },
			[]string{`agents[1].extension: "12345678901" must be 1 to 10 digits`}},
		{"extension twice", func(s *site.Site) { s.Agents[1].Extension = "1001" },
			[]string{`agents[1].extension: 1001 is already agent "kim"'s extension: a dialled number must mean one thing`}},
		{"sip password without an extension", func(s *site.Site) { s.Agents[1].SIPPassword = "s" },
			[]string{"agents[1].sip_password: needs an extension: a phone registers as its extension with this password"}},
		{"sip phone without an extension", func(s *site.Site) { s.Agents[1].Phone = site.PhoneSIP },
			[]string{"agents[1].extension: is required for a sip phone: the phone registers as it (CTI 상담원 정보)"}},
		{"sip phone without a SIP secret", func(s *site.Site) { s.Agents[1].Extension = "1002"; s.Agents[1].Phone = "" },
			[]string{"agents[1].sip_password: is required for a sip phone with a new or changed extension: the digest secret is made from both"}},
		{"browser phone with an extension needs no SIP secret", func(s *site.Site) { s.Agents[1].Extension = "1002" }, nil},
		{"phone unknown", func(s *site.Site) { s.Agents[1].Phone = "pager" },
			[]string{`agents[1].phone: must be sip or browser (got "pager")`}},
		// trunks
		{"trunk id missing", func(s *site.Site) { s.Trunks = append(s.Trunks, site.Trunk{Host: "h", Prefix: "8"}) },
			[]string{"trunks[1].id: is required"}},
		{"trunk id not a slug", func(s *site.Site) { s.Trunks[0].ID = "Carrier A" },
			[]string{`trunks[0].id: "Carrier A" must be a slug: lower-case letters, digits, - and _`}},
		{"trunk twice", func(s *site.Site) { s.Trunks = append(s.Trunks, site.Trunk{ID: "carrier", Host: "h", Prefix: "8"}) },
			[]string{`trunks[1].id: trunk "carrier" is defined twice`}},
		{"trunk host missing", func(s *site.Site) { s.Trunks[0].Host = "" },
			[]string{"trunks[0].host: is required: where outbound calls go"}},
		{"trunk host with a space", func(s *site.Site) { s.Trunks[0].Host = "bad host" },
			[]string{`trunks[0].host: "bad host" is not a host name or IP address`}},
		{"trunk host with its port", func(s *site.Site) { s.Trunks[0].Host = "sip.carrier.example:5070" },
			[]string{`trunks[0].host: "sip.carrier.example:5070": give the port in port: 5070, not in host`}},
		{"trunk hosts by name and IPv6", func(s *site.Site) {
			s.Trunks = append(s.Trunks, site.Trunk{ID: "b", Host: "sip.carrier.example", Port: 5060, Prefix: "8"}, site.Trunk{ID: "c", Host: "2001:db8::1", Port: 5060, Prefix: "7"})
		}, nil},
		{"recording all with the built-in announcement", func(s *site.Site) {
			s.Services[0].Recording = site.Recording{Mode: site.RecordAll, RetentionDays: 30, Announce: "builtin:recording"}
		}, nil},
		{"recording on demand without an announcement, retention left out", func(s *site.Site) {
			s.Services[0].Recording = site.Recording{Mode: site.RecordOnDemand, Announce: "none"}
		}, nil},
		{"recording: unknown mode, retention out of range, unknown announcement", func(s *site.Site) {
			s.Services[0].Recording = site.Recording{Mode: "sometimes", RetentionDays: 4000, Announce: "builtin:beep"}
		}, []string{
			`services[0].recording.mode: must be all, none or on_demand (got "sometimes")`,
			`services[0].recording.retention_days: must be 1 to 3650 days (got 4000)`,
			`services[0].recording.announce: "builtin:beep" is not built-in audio (built in: builtin:hold, builtin:hangup, builtin:ringback, builtin:silence, builtin:greeting, builtin:recording)`,
		}},
		{"recording: negative retention", func(s *site.Site) { s.Services[0].Recording.RetentionDays = -1 },
			[]string{`services[0].recording.retention_days: must be 1 to 3650 days (got -1)`}},
		{"trunk port too big", func(s *site.Site) { s.Trunks[0].Port = 70000 },
			[]string{"trunks[0].port: must be 1 to 65535 (got 70000)"}},
		{"trunk port negative", func(s *site.Site) { s.Trunks[0].Port = -1 },
			[]string{"trunks[0].port: must be 1 to 65535 (got -1)"}},
		{"allow not an address", func(s *site.Site) {
			s.Trunks[0].Allow = []string{"127.0.0.1", "not-an-ip", "10.0.0.0/33", "2001:db8::/32"}
		},
			[]string{`trunks[0].allow[1]: "not-an-ip" is not an IP address or CIDR (e.g. 203.0.113.7 or 203.0.113.0/24)`,
				`trunks[0].allow[2]: "10.0.0.0/33" is not an IP address or CIDR (e.g. 203.0.113.7 or 203.0.113.0/24)`}},
		// issue 15: an outbound proxy and a transport
		{"trunk outbound proxy and transport", func(s *site.Site) {
			s.Trunks[0].OutboundProxy, s.Trunks[0].Transport = "sbc.carrier.example:5070", "tcp"
			s.Trunks = append(s.Trunks, site.Trunk{ID: "b", Host: "h", Port: 5060, Prefix: "8", OutboundProxy: "sip:[2001:db8::1]:5061;transport=tls", Transport: "tls"},
				site.Trunk{ID: "c", Host: "h", Port: 5060, Prefix: "7", OutboundProxy: "192.0.2.1", Transport: "udp"})
		}, nil},
		{"trunk transport unknown", func(s *site.Site) { s.Trunks[0].Transport = "sctp" },
			[]string{`trunks[0].transport: "sctp" must be udp, tcp or tls`}},
		{"trunk outbound proxy not an address", func(s *site.Site) { s.Trunks[0].OutboundProxy = "sip:user@sbc" },
			[]string{`trunks[0].outbound_proxy: "sip:user@sbc" is not host[:port] or sip:host[:port] (e.g. sbc.carrier.example:5060)`}},
		{"trunk outbound proxy port", func(s *site.Site) { s.Trunks[0].OutboundProxy = "sbc:99999" },
			[]string{`trunks[0].outbound_proxy: "sbc:99999" has a port that is not 1 to 65535`}},
		{"trunk outbound proxy with a space", func(s *site.Site) { s.Trunks[0].OutboundProxy = "bad host" },
			[]string{`trunks[0].outbound_proxy: "bad host" is not host[:port] or sip:host[:port] (e.g. sbc.carrier.example:5060)`}},
		{"password without a username", func(s *site.Site) { s.Trunks[0].Password = "secret" },
			[]string{"trunks[0].username: is required with a password: the digest credentials toward the carrier"}},
		{"prefix not digits", func(s *site.Site) { s.Trunks[0].Prefix = "9#"; s.Services[0].Favorites = s.Services[0].Favorites[:1] },
			[]string{`trunks[0].prefix: "9#" must be digits`}},
		{"a prefix shared: a route with a fallback", func(s *site.Site) {
			s.Trunks = append(s.Trunks, site.Trunk{ID: "backup", Host: "h", Port: 5060, Prefix: "9"})
		}, nil},
		{"two trunks without a prefix", func(s *site.Site) {
			s.Trunks = append(s.Trunks, site.Trunk{ID: "a", Host: "h", Port: 5060}, site.Trunk{ID: "b", Host: "h", Port: 5060})
		}, []string{`trunks[2].prefix: is required: trunk "a" already has no prefix, and only one trunk can be the route for unprefixed numbers`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := validSite()
			c.change(s)
			Defaults(s)
			probs := ValidateSite(s)
			got := problemLines(probs)
			if !slices.Equal(got, c.want) {
				t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
			// the console words each problem from its kind: every rule says which it is
			for _, p := range probs {
				if p.Code == "" {
					t.Errorf("%s: %s has no code", p.Path, p.Reason)
				}
			}
		})
	}
}

func TestDialPlanPatternsAreChecked(t *testing.T) {
	s := validSite()
	Defaults(s)
	s.Services[0].DialPlan = site.DialPlan{Allow: []string{"0[1-9]*", "0*1"}, Deny: []string{"+*", "abc"}}
	probs := ValidateSite(s)
	var paths []string
	for _, p := range probs {
		paths = append(paths, p.Path)
	}
	want := []string{"services[0].dial_plan.allow[1]", "services[0].dial_plan.deny[1]"}
	if !slices.Equal(paths, want) {
		t.Fatalf("problems at %v, want %v: %v", paths, want, probs)
	}
}
