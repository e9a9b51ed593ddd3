package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
)

// doc describes one endpoint for the OpenAPI document.
type doc struct {
	summary string
	tag     string
	body    string   // schema name of the JSON body, "" for none, "wav" for audio
	resp    string   // schema name of the 2xx response, "" for 204
	query   []string // query parameters
	public  bool
	csv     bool // also answers text/csv (format=csv)
	created bool // answers 201
	refused bool // may answer 409 (the engine refuses in the current state)
}

var docs = map[string]doc{
	"GET /api/v1/health":       {summary: "Liveness: {\"status\":\"ok\"}", tag: "system", resp: "Health", public: true},
	"GET /api/v1/openapi.json": {summary: "This document", tag: "system", resp: "object", public: true},
	"POST /api/v1/session":     {summary: "Log in with login and password; returns a bearer token and sets a session cookie", tag: "session", body: "Login", resp: "Session", public: true},
	"GET /api/v1/session":      {summary: "The logged-in account", tag: "session", resp: "Me"},
	"DELETE /api/v1/session":   {summary: "Log out", tag: "session"},

	"GET /api/v1/cti":                   {summary: "The caller's CTI state, call and offer", tag: "cti", resp: "CTIView"},
	"GET /api/v1/cti/settings":          {summary: "What the phone widget needs of a service: registered caller IDs in order, favourites, groups, announcement text, work reasons", tag: "cti", resp: "CTISettings", query: []string{"service"}},
	"POST /api/v1/cti/login":            {summary: "CTI 로그인 → default", tag: "cti", body: "CTILogin", resp: "CTIView"},
	"POST /api/v1/cti/logout":           {summary: "CTI 로그아웃 → logged_out", tag: "cti", resp: "CTIView"},
	"PUT /api/v1/cti/state":             {summary: "기본/휴식/대기/업무(reason)", tag: "cti", body: "CTIState", resp: "CTIView"},
	"POST /api/v1/cti/offer/accept":     {summary: "확인 on the inbound alert: the agent's phone rings", tag: "cti", resp: "CTIView"},
	"POST /api/v1/cti/offer/reject":     {summary: "취소 on the inbound alert: the call is recalled at once", tag: "cti", resp: "CTIView"},
	"POST /api/v1/cti/dial":             {summary: "걸기 with a registered caller ID", tag: "cti", body: "Dial", resp: "CTIView"},
	"POST /api/v1/cti/hold":             {summary: "보류", tag: "cti", resp: "CTIView"},
	"POST /api/v1/cti/unhold":           {summary: "해제", tag: "cti", resp: "CTIView"},
	"POST /api/v1/cti/consult":          {summary: "협의통화 to a number, extension, queue or agent:<login>", tag: "cti", body: "Consult", resp: "CTIView"},
	"POST /api/v1/cti/consult/complete": {summary: "고객연결", tag: "cti", resp: "CTIView"},
	"POST /api/v1/cti/consult/cancel":   {summary: "취소 of a consult → held", tag: "cti", resp: "CTIView"},
	"POST /api/v1/cti/forced-hangup":    {summary: "강성종료: announcement to the customer, then hang up", tag: "cti", resp: "CTIView"},
	"POST /api/v1/cti/hangup":           {summary: "End the call", tag: "cti", resp: "CTIView"},
	"POST /api/v1/cti/after-call":       {summary: "End-of-call notice: 확인 (ready) / 취소 (work: 티켓처리)", tag: "cti", body: "AfterCall", resp: "CTIView"},
	"GET /api/v1/cti/ready-agents":      {summary: "대기 상담원 확인: ready agents of a group", tag: "cti", resp: "ReadyAgents", query: []string{"group"}},
	"GET /api/v1/cti/history":           {summary: "Agent state history", tag: "cti", resp: "StateHistory", query: []string{"agent", "since", "limit"}},
	"POST /api/v1/cti/recording/pause":  {summary: "Pause the call's recording (card numbers): silence in both channels until resumed", tag: "cti", resp: "CTIView"},
	"POST /api/v1/cti/recording/resume": {summary: "Resume the call's recording", tag: "cti", resp: "CTIView"},
	"POST /api/v1/cti/recording/start":  {summary: "Start recording the call (services whose recording mode is on_demand); the customer hears the announcement", tag: "cti", resp: "CTIView"},

	"GET /api/v1/live":                  {summary: "Supervisor live view: agents with time in state, queues with waiting calls", tag: "live", resp: "Live", query: []string{"service"}},
	"GET /api/v1/events":                {summary: "WebSocket event stream (one JSON Event per message); also carries browser-softphone signalling. A wallboard token (access_token) gets its service's stats.queue events only, each queue's first at once", tag: "live", resp: "Event", query: []string{"access_token"}},
	"POST /api/v1/calls/{id}/monitor":   {summary: "Ring the manager's own phone into a live call: listen (hears both, heard by none), whisper (heard by the agent only) or barge (three-way)", tag: "live", body: "Monitor", resp: "MonitorView"},
	"PUT /api/v1/calls/{id}/monitor":    {summary: "Switch the manager's monitoring mode during the call", tag: "live", body: "Monitor", resp: "MonitorView"},
	"DELETE /api/v1/calls/{id}/monitor": {summary: "The manager leaves the call", tag: "live"},

	"GET /api/v1/recordings/{id}":            {summary: "A call's recording (WAV, 16-bit stereo 8 kHz: left the customer, right the agent's side); Range supported; every play and download is logged. The call's agent, the service's managers, admins", tag: "recordings", resp: "wav", query: []string{"download"}},
	"GET /api/v1/recordings/{id}/access-log": {summary: "Who played, downloaded or deleted a recording, newest first (managers, admins)", tag: "recordings", resp: "RecordingAccessLog"},

	"GET /api/v1/stats/realtime":                   {summary: "A service now: each queue's waiting calls, oldest wait, members by state, thresholds and today's figures; every agent of the service, logged in or not, with today's figures (managers, admins, or the service's wallboard token as bearer or access_token)", tag: "supervision", resp: "Realtime", query: []string{"service", "access_token"}},
	"GET /api/v1/stats/queues":                     {summary: "Queue figures (docs/metrics.md) per interval over [from, to): from/to are RFC 3339 or YYYY-MM-DD in the site's time zone (a date as to takes in that whole day); defaults today so far, 15m", tag: "supervision", resp: "QueueReport", query: []string{"service", "from", "to", "interval", "queue", "format"}, csv: true},
	"GET /api/v1/stats/agents":                     {summary: "Agent figures (docs/metrics.md) per interval over [from, to), as for queues", tag: "supervision", resp: "AgentReport", query: []string{"service", "from", "to", "interval", "agent", "format"}, csv: true},
	"GET /api/v1/calls":                            {summary: "Call history of the services the caller manages, newest first; phone with or without hyphens; next is the cursor for before; format=csv exports the whole selection (at most 50,000 calls)", tag: "supervision", resp: "CallList", query: []string{"service", "from", "to", "phone", "agent", "queue", "outcome", "limit", "before", "format"}, csv: true},
	"PUT /api/v1/agents/{login}/cti/state":         {summary: "A manager of the agent's service (or an admin) sets its state: 기본/휴식/대기/업무(reason); the agent is told who", tag: "supervision", body: "CTIState", resp: "CTIView", refused: true},
	"POST /api/v1/agents/{login}/cti/logout":       {summary: "A manager of the agent's service (or an admin) logs the agent out of CTI", tag: "supervision", resp: "CTIView", refused: true},
	"POST /api/v1/services/{id}/wallboard-token":   {summary: "A read-only token for the service's wallboard (managers of the service, admins), with the page's URL", tag: "supervision", resp: "WallboardToken", created: true},
	"DELETE /api/v1/services/{id}/wallboard-token": {summary: "Revoke every wallboard token of the service; open wallboards close", tag: "supervision", resp: "Revoked"},

	"GET /api/v1/tickets":        {summary: "List tickets, newest first; callback=true lists the missed calls (콜백 필요) by when the caller last gave up", tag: "tickets", resp: "TicketList", query: []string{"service", "phone", "status", "assignee", "callback", "limit", "before"}},
	"GET /api/v1/tickets/{id}":   {summary: "A ticket with notes, calls and the caller's earlier tickets", tag: "tickets", resp: "Ticket"},
	"PATCH /api/v1/tickets/{id}": {summary: "Change status, subject, assignee; add a note", tag: "tickets", body: "TicketPatch", resp: "Ticket"},

	"GET /api/v1/site":                                 {summary: "The whole configuration without secrets (admin)", tag: "admin", resp: "Site"},
	"GET /api/v1/services":                             {summary: "Services the caller can see", tag: "admin", resp: "ServiceList"},
	"GET /api/v1/services/{id}":                        {summary: "A service", tag: "admin", resp: "Service"},
	"PUT /api/v1/services/{id}":                        {summary: "Create or replace a service (admin)", tag: "admin", body: "Service", resp: "Service"},
	"DELETE /api/v1/services/{id}":                     {summary: "Remove a service with no live calls or agents (admin)", tag: "admin"},
	"PUT /api/v1/services/{id}/caller-ids":             {summary: "발신번호 관리: replace the list; order is display order; approving needs admin", tag: "admin", body: "CallerIDList", resp: "Service"},
	"POST /api/v1/services/{id}/caller-ids":            {summary: "Register a caller ID (등록 요청)", tag: "admin", body: "CallerID", resp: "Service"},
	"PATCH /api/v1/services/{id}/caller-ids/{number}":  {summary: "Approve (status) or move (position) a caller ID", tag: "admin", body: "CallerIDPatch", resp: "Service"},
	"DELETE /api/v1/services/{id}/caller-ids/{number}": {summary: "Remove a caller ID", tag: "admin", resp: "Service"},
	"PUT /api/v1/services/{id}/favorites":              {summary: "자주 사용되는 번호", tag: "admin", body: "FavoriteList", resp: "Service"},
	"PUT /api/v1/services/{id}/groups":                 {summary: "Groups (admin)", tag: "admin", body: "GroupList", resp: "Service"},
	"PUT /api/v1/services/{id}/queues":                 {summary: "Queues and members (admin)", tag: "admin", body: "QueueList", resp: "Service"},
	"PUT /api/v1/services/{id}/numbers":                {summary: "DIDs and their queue (admin)", tag: "admin", body: "NumberList", resp: "Service"},
	"PUT /api/v1/services/{id}/recording":              {summary: "Call recording: mode all|none|on_demand, retention_days, announce builtin:recording|none|sha256:… (admin)", tag: "admin", body: "Recording", resp: "Service"},
	"PUT /api/v1/services/{id}/audio/{kind}":           {summary: "Upload hold audio (hold), the 강성종료 announcement (hangup) or the recording announcement (recording): 8 kHz mono WAV", tag: "admin", body: "wav", resp: "Service", query: []string{"name"}},
	"DELETE /api/v1/services/{id}/audio/{kind}":        {summary: "Back to the built-in audio", tag: "admin", resp: "Service"},
	"GET /api/v1/audio/{ref}":                          {summary: "A stored (sha256:…) or built-in (builtin:hold, builtin:hangup, builtin:greeting) prompt as WAV", tag: "admin", resp: "wav"},
	"GET /api/v1/agents":                               {summary: "Accounts the caller may see: all (admin), its services' (manager); an agent sees itself and its colleagues by name", tag: "admin", resp: "AgentList"},
	"GET /api/v1/agents/{login}":                       {summary: "An account", tag: "admin", resp: "Agent"},
	"PUT /api/v1/agents/{login}":                       {summary: "Create or replace an account with its CTI 상담원 정보 (admin)", tag: "admin", body: "Agent", resp: "Agent"},
	"DELETE /api/v1/agents/{login}":                    {summary: "Remove an account (admin)", tag: "admin"},
	"GET /api/v1/trunks":                               {summary: "Trunks without passwords, each with its health from OPTIONS probes (admin)", tag: "admin", resp: "TrunkList"},
	"PUT /api/v1/trunks/{id}":                          {summary: "Create or replace a trunk (admin)", tag: "admin", body: "Trunk", resp: "Trunk"},
	"DELETE /api/v1/trunks/{id}":                       {summary: "Remove a trunk (admin)", tag: "admin"},
}

func obj(props map[string]any, required ...string) map[string]any {
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func str() map[string]any            { return map[string]any{"type": "string"} }
func num() map[string]any            { return map[string]any{"type": "number"} }
func integer() map[string]any        { return map[string]any{"type": "integer"} }
func boolean() map[string]any        { return map[string]any{"type": "boolean"} }
func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
func arr(items map[string]any) map[string]any {
	return map[string]any{"type": "array", "items": items}
}
func enum(vals ...string) map[string]any { return map[string]any{"type": "string", "enum": vals} }
func nullable(m map[string]any) map[string]any {
	return map[string]any{"oneOf": []any{m, map[string]any{"type": "null"}}}
}

var states = []string{"logged_out", "default", "break", "ready", "work", "offered", "ringing", "dialing", "on_call", "consulting", "held", "after_call"}

func schemas() map[string]any {
	callerID := obj(map[string]any{"number": str(), "status": enum("requested", "registered", "rejected")}, "number")
	favorite := obj(map[string]any{"name": str(), "number": str()}, "name", "number")
	group := obj(map[string]any{"id": str(), "name": str()}, "id")
	queue := obj(map[string]any{"number": str(), "name": str(), "strategy": enum("longest_idle"), "members": arr(str())}, "number")
	number := obj(map[string]any{"number": str(), "queue": str(), "greeting": str()}, "number", "queue")
	service := obj(map[string]any{"id": str(), "name": str(), "cti": boolean(), "recall_seconds": integer(),
		"no_answer": enum("break", "ready"), "after_call_seconds": integer(), "hold_audio": str(),
		"hangup_announcement": obj(map[string]any{"text": str(), "audio": str()}),
		"numbers":             arr(ref("Number")), "caller_ids": arr(ref("CallerID")), "favorites": arr(ref("Favorite")),
		"groups": arr(ref("Group")), "queues": arr(ref("Queue")), "recording": ref("Recording")}, "id")
	agentS := obj(map[string]any{"login": str(), "name": str(), "password": str(), "role": enum("agent", "manager", "admin"),
		"services": arr(str()), "phone_services": arr(str()), "groups": arr(str()), "extension": str(), "sip_password": str(),
		"phone": enum("sip", "browser"), "auto_accept": boolean()}, "login")
	trunk := obj(map[string]any{"id": str(), "host": str(), "port": integer(), "allow": arr(str()), "username": str(),
		"password": str(), "prefix": str(), "outbound_proxy": str(), "transport": enum("udp", "tcp", "tls")}, "id", "host")
	transfer := obj(map[string]any{"from": str(), "target": str(), "to": str(), "started_at": str(), "answered_at": str(),
		"completed_at": str(), "outcome": enum("pending", "completed", "cancelled", "failed")})
	callS := obj(map[string]any{"id": str(), "direction": enum("inbound", "outbound", "internal"), "from": str(), "to": str(),
		"caller_id": str(), "queue": str(), "agent": str(), "offered_at": str(), "answered_at": str(), "ended_at": str(),
		"talk_seconds": num(), "hold_seconds": num(), "hangup_cause": str(), "hangup_by": str(), "transfers": arr(ref("Transfer")),
		"recording": nullable(obj(map[string]any{"id": str(), "seconds": num(), "paused_seconds": num()}))})
	summary := obj(map[string]any{"id": integer(), "service": str(), "subject": str(),
		"status": enum("new", "open", "pending", "solved", "closed"), "assignee": str(), "phone": str(), "callback": boolean(),
		"created_at": str(), "updated_at": str(), "missed_at": str(), "wait_seconds": num(), "missed_calls": integer()})
	optNum := nullable(num())
	rtQueue := obj(map[string]any{"queue": str(), "name": str(), "waiting": integer(), "oldest_wait_seconds": num(),
		"oldest_since": nullable(str()),
		"agents":       obj(map[string]any{"staffed": integer(), "ready": integer(), "on_call": integer(), "after_call": integer(), "not_ready": integer()}),
		"today": obj(map[string]any{"offered": integer(), "answered": integer(), "abandoned": integer(), "short_abandoned": integer(),
			"handled": integer(), "service_level": optNum, "abandon_rate": optNum, "asa_seconds": optNum, "aht_seconds": optNum,
			"longest_wait_seconds": num()}),
		"service_level_seconds": integer(), "service_level_target": integer(), "wait_alert_seconds": integer()},
		"queue", "name", "waiting", "oldest_wait_seconds", "agents", "today")
	rtAgent := obj(map[string]any{"login": str(), "name": str(), "extension": str(), "state": enum(states...), "label": str(),
		"reason": str(), "seconds": num(), "since": nullable(str()), "call": str(), "elsewhere": str(), "queues": arr(str()),
		"today": obj(map[string]any{"answered": integer(), "handled": integer(), "talk_seconds": num(), "after_call_seconds": num(),
			"staffed_seconds": num(), "occupancy": optNum})}, "login", "name", "state", "reason", "seconds", "today")
	queueRow := obj(map[string]any{"from": str(), "to": str(), "queue": str(), "name": str(), "offered": integer(),
		"answered": integer(), "answered_in_sl": integer(), "abandoned": integer(), "short_abandoned": integer(), "handled": integer(),
		"transfers": integer(), "no_response": integer(), "service_level": optNum, "abandon_rate": optNum, "asa_seconds": optNum,
		"aht_seconds": optNum, "avg_talk_seconds": optNum, "avg_hold_seconds": optNum, "avg_after_call_seconds": optNum,
		"avg_abandon_seconds": optNum, "longest_wait_seconds": num()})
	agentRow := obj(map[string]any{"from": str(), "to": str(), "agent": str(), "name": str(), "answered": integer(),
		"handled": integer(), "rejected": integer(), "ring_timeouts": integer(), "talk_seconds": num(), "hold_seconds": num(),
		"after_call_seconds": num(), "staffed_seconds": num(), "ready_seconds": num(), "occupancy": optNum,
		"states":       map[string]any{"type": "object", "additionalProperties": num()},
		"work_reasons": map[string]any{"type": "object", "additionalProperties": num()}})
	reportOf := func(row string) map[string]any {
		return obj(map[string]any{"service": str(), "timezone": str(), "interval": enum("15m", "hour", "day"), "from": str(),
			"to": str(), "rows": arr(ref(row))}, "rows")
	}
	callRecord := map[string]any{"allOf": []any{ref("Call"), obj(map[string]any{"service": str(), "started_at": str(),
		"ticket": nullable(integer()), "outcome": enum("answered", "abandoned", "failed", "internal", ""), "wait_seconds": num(),
		"agent_name": str(), "queue_name": str()})}}
	ticket := map[string]any{"allOf": []any{ref("TicketSummary"), obj(map[string]any{
		"notes":   arr(obj(map[string]any{"id": integer(), "author": str(), "body": str(), "at": str()})),
		"calls":   arr(ref("Call")),
		"earlier": arr(ref("TicketSummary"))})}}
	view := obj(map[string]any{"login": str(), "state": enum(states...), "label": str(), "reason": str(), "since": str(),
		"service": str(),
		"call": nullable(obj(map[string]any{"id": str(), "direction": str(), "from": str(), "to": str(), "caller_id": str(),
			"queue": str(), "state": str(), "ticket": integer(), "answered_at": str(), "role": enum("agent", "caller", "target"),
			"consult":       obj(map[string]any{"target": str(), "to": str(), "to_name": str(), "up": boolean()}),
			"customer_held": boolean(), "transfer_from": str(), "transfer_from_name": str(), "customer": str(),
			"recording": obj(map[string]any{"id": str(), "state": enum("recording", "paused", "failed", "stopped")})})),
		"offer": nullable(obj(map[string]any{"call": str(), "from": str(), "to": str(), "queue": str(), "service": str(),
			"recall_at": str(), "transfer_from": str(), "transfer_from_name": str(), "ringing": boolean()})),
		"notice": obj(map[string]any{"kind": str(), "message": str(), "at": str()}),
		"phone":  obj(map[string]any{"kind": enum("sip", "browser"), "extension": str(), "registered": boolean()})},
		"state", "reason", "service", "call", "offer")
	account := obj(map[string]any{"login": str(), "name": str(), "role": str(), "services": arr(str()), "phone_services": arr(str()),
		"groups": arr(str()), "extension": str(), "phone": str(), "auto_accept": boolean()})
	return map[string]any{
		"Error": obj(map[string]any{"error": obj(map[string]any{"code": str(), "message": str(), "field": str(),
			"params": map[string]any{"type": "object", "additionalProperties": str()},
			"details": arr(obj(map[string]any{"path": str(), "reason": str(), "code": str(),
				"params": map[string]any{"type": "object", "additionalProperties": str()}}))}, "code", "message")}, "error"),
		"Health":             obj(map[string]any{"status": enum("ok")}, "status"),
		"Login":              obj(map[string]any{"login": str(), "password": str()}, "login", "password"),
		"Session":            obj(map[string]any{"token": str(), "agent": ref("Account"), "expires_at": str()}, "token", "agent"),
		"Me":                 obj(map[string]any{"agent": ref("Account")}, "agent"),
		"Account":            account,
		"CTIView":            view,
		"CTILogin":           obj(map[string]any{"service": str()}, "service"),
		"CTIState":           obj(map[string]any{"state": enum("default", "break", "ready", "work"), "reason": str()}, "state"),
		"Dial":               obj(map[string]any{"number": str(), "caller_id": str(), "ticket": integer()}, "caller_id"),
		"Consult":            obj(map[string]any{"target": str()}, "target"),
		"AfterCall":          obj(map[string]any{"action": enum("ready", "work")}, "action"),
		"CTISettings":        obj(map[string]any{"service": str(), "name": str(), "cti": boolean(), "recall_seconds": integer(), "caller_ids": arr(str()), "favorites": arr(ref("Favorite")), "groups": arr(ref("Group")), "hangup_announcement": str(), "work_reasons": arr(obj(map[string]any{"code": str(), "ko": str(), "en": str()}))}),
		"ReadyAgents":        obj(map[string]any{"agents": arr(obj(map[string]any{"login": str(), "name": str(), "extension": str(), "state": str(), "since": str(), "groups": arr(str())}))}),
		"StateHistory":       obj(map[string]any{"changes": arr(obj(map[string]any{"agent": str(), "service": str(), "from": str(), "to": str(), "reason": str(), "call": str(), "at": str()}))}),
		"Live":               obj(map[string]any{"service": str(), "at": str(), "calls": integer(), "agents": arr(obj(map[string]any{"login": str(), "name": str(), "state": str(), "label": str(), "reason": str(), "seconds_in_state": num(), "call": str(), "phone_registered": boolean()})), "queues": arr(obj(map[string]any{"number": str(), "name": str(), "ready": integer(), "waiting": arr(obj(map[string]any{"call": str(), "from": str(), "since": str()}))})), "monitors": arr(ref("MonitorView"))}),
		"Monitor":            obj(map[string]any{"mode": enum("listen", "whisper", "barge")}, "mode"),
		"MonitorView":        obj(map[string]any{"call": str(), "by": str(), "name": str(), "mode": enum("listen", "whisper", "barge"), "state": enum("ringing", "joined"), "agent": str()}),
		"Recording":          obj(map[string]any{"mode": enum("all", "none", "on_demand"), "retention_days": integer(), "announce": str()}, "mode"),
		"RecordingAccessLog": obj(map[string]any{"recording": str(), "access": arr(obj(map[string]any{"recording": str(), "login": str(), "action": enum("play", "download", "deleted"), "at": str(), "source": str()}))}),
		"Event":              obj(map[string]any{"seq": integer(), "type": str(), "at": str(), "service": str(), "agent": str(), "call": str(), "data": map[string]any{"type": "object"}}, "type", "at"),
		"TicketSummary":      summary,
		"Ticket":             ticket,
		"TicketList":         obj(map[string]any{"tickets": arr(ref("TicketSummary"))}, "tickets"),
		"TicketPatch":        obj(map[string]any{"status": enum("new", "open", "pending", "solved", "closed"), "subject": str(), "assignee": str(), "note": str(), "callback": boolean()}),
		"Realtime": obj(map[string]any{"service": str(), "at": str(), "timezone": str(), "queues": arr(ref("RealtimeQueue")),
			"agents": arr(ref("RealtimeAgent"))}, "queues", "agents"),
		"RealtimeQueue":  rtQueue,
		"RealtimeAgent":  rtAgent,
		"QueueRow":       queueRow,
		"AgentRow":       agentRow,
		"QueueReport":    reportOf("QueueRow"),
		"AgentReport":    reportOf("AgentRow"),
		"CallRecord":     callRecord,
		"CallList":       obj(map[string]any{"calls": arr(ref("CallRecord")), "next": nullable(str())}, "calls"),
		"WallboardToken": obj(map[string]any{"token": str(), "url": str(), "service": str(), "created_at": str()}, "token", "url"),
		"Revoked":        obj(map[string]any{"revoked": integer()}, "revoked"),
		"Call":           callS,
		"Transfer":       transfer,
		"Site": obj(map[string]any{"timezone": str(), "sip": obj(map[string]any{"media_timeout_seconds": integer(), "session_expires_seconds": integer()}),
			"services": arr(ref("Service")), "agents": arr(ref("Agent")), "trunks": arr(ref("Trunk"))}),
		"Service":       service,
		"ServiceList":   obj(map[string]any{"services": arr(ref("Service"))}),
		"CallerID":      callerID,
		"CallerIDList":  arr(ref("CallerID")),
		"CallerIDPatch": obj(map[string]any{"status": enum("requested", "registered", "rejected"), "position": integer()}),
		"Favorite":      favorite,
		"FavoriteList":  arr(ref("Favorite")),
		"Group":         group,
		"GroupList":     arr(ref("Group")),
		"Queue":         queue,
		"QueueList":     arr(ref("Queue")),
		"Number":        number,
		"NumberList":    arr(ref("Number")),
		"Agent":         agentS,
		"AgentList":     obj(map[string]any{"agents": arr(ref("Agent"))}),
		"Trunk":         trunk,
		"TrunkList":     obj(map[string]any{"trunks": arr(ref("TrunkState"))}),
		"TrunkState": map[string]any{"allOf": []any{ref("Trunk"), obj(map[string]any{"status": enum("up", "down"),
			"last_answer": nullable(str()), "rtt_ms": nullable(num())})}},
	}
}

var pathParam = regexp.MustCompile(`\{([a-z]+)\}`)

// openAPIDocument builds the document from the route list and docs, so that it cannot drift
// from the routes: a route without docs fails the golden test.
func (s *Server) openAPIDocument() map[string]any {
	paths := map[string]map[string]any{}
	routes := s.routeList()
	sort.Slice(routes, func(i, j int) bool { return routes[i].path+routes[i].method < routes[j].path+routes[j].method })
	for _, rt := range routes {
		d := docs[rt.method+" "+rt.path]
		op := map[string]any{"summary": d.summary, "tags": []string{d.tag},
			"operationId": strings.ToLower(rt.method) + strings.ReplaceAll(strings.NewReplacer("/api/v1", "", "{", "", "}", "", "-", "_", ".", "_").Replace(rt.path), "/", "_")}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": str()})
		}
		for _, q := range d.query {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": str()})
		}
		if params != nil {
			op["parameters"] = params
		}
		switch d.body {
		case "":
		case "wav":
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"audio/wav": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
		default:
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(d.body)}}}
		}
		resps := map[string]any{}
		switch d.resp {
		case "":
			resps["204"] = map[string]any{"description": "done"}
		case "wav":
			resps["200"] = map[string]any{"description": "WAV audio", "content": map[string]any{"audio/wav": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
		case "object":
			resps["200"] = map[string]any{"description": "OpenAPI 3.1 document", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}
		default:
			content := map[string]any{"application/json": map[string]any{"schema": ref(d.resp)}}
			if d.csv {
				content["text/csv"] = map[string]any{"schema": map[string]any{"type": "string",
					"description": "UTF-8 with a byte-order mark, a Korean header row, the rows' fields in a fixed order"}}
			}
			code := "200"
			if d.created {
				code = "201"
			}
			resps[code] = map[string]any{"description": "ok", "content": content}
		}
		errResp := map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
		resps["400"] = errResp
		if !d.public {
			resps["401"] = errResp
			resps["403"] = errResp
			op["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{"cookie": []string{}}}
		}
		if d.tag == "cti" || d.refused {
			resps["409"] = errResp
		}
		if paths[rt.path] == nil {
			paths[rt.path] = map[string]any{}
		}
		paths[rt.path][strings.ToLower(rt.method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Ringdesk API", "version": "1",
			"description": "Contact-center helpdesk with a built-in phone system. Errors are {\"error\":{\"code\",\"message\"}}; a refused CTI transition is 409 invalid_state and changes nothing."},
		"paths": paths,
		"components": map[string]any{
			"schemas": schemas(),
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer"},
				"cookie": map[string]any{"type": "apiKey", "in": "cookie", "name": cookieName},
			},
		},
	}
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	b, err := json.MarshalIndent(s.openAPIDocument(), "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(b)
	return err
}
