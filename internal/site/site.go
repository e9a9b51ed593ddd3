package site

import "slices"

// Role is what an account may do.
type Role string

const (
	RoleAgent   Role = "agent"
	RoleManager Role = "manager"
	RoleAdmin   Role = "admin"
)

// Roles lists the valid roles.
var Roles = []Role{RoleAgent, RoleManager, RoleAdmin}

// PhoneKind says how an agent's phone is reached.
type PhoneKind string

const (
	PhoneSIP     PhoneKind = "sip"     // a desk or soft phone that REGISTERs with its extension
	PhoneBrowser PhoneKind = "browser" // the WebRTC softphone in the console
)

// NoAnswer is what a ring timeout does to the agent who did not answer.
type NoAnswer string

const (
	NoAnswerBreak NoAnswer = "break"
	NoAnswerReady NoAnswer = "ready"
)

// CallerIDStatus is the registration state of an outbound caller ID (발신번호).
type CallerIDStatus string

const (
	CallerIDRequested  CallerIDStatus = "requested"  // 등록 요청
	CallerIDRegistered CallerIDStatus = "registered" // 등록 완료: the only ones that may be used
	CallerIDRejected   CallerIDStatus = "rejected"
)

// Strategy is how a queue picks among its ready members.
type Strategy string

const (
	StrategyLongestIdle Strategy = "longest_idle"
)

// DefaultRecallSeconds is the recall time (호회수 시간) when a service sets none.
const DefaultRecallSeconds = 30

// The SIP settings a site leaves out (0).
const (
	DefaultMediaTimeoutSeconds   = 60
	DefaultSessionExpiresSeconds = 1800
)

// Site is the whole configuration.
type Site struct {
	// Timezone is the IANA name of the zone the contact center's days and report intervals
	// are counted in (docs/metrics.md); "" means DefaultTimezone.
	Timezone string      `json:"timezone,omitempty" yaml:"timezone"`
	SIP      SIPSettings `json:"sip" yaml:"sip"`
	Services []Service   `json:"services" yaml:"services"`
	Agents   []Agent     `json:"agents" yaml:"agents"`
	Trunks   []Trunk     `json:"trunks" yaml:"trunks"`
}

// SIPSettings are the phone network's settings for the whole site. 0 means the default.
type SIPSettings struct {
	// MediaTimeoutSeconds: a call leg whose far end has sent no RTP for this long is ended
	// (cause media_timeout). Held legs count too: a far end that holds keeps sending.
	MediaTimeoutSeconds int `json:"media_timeout_seconds" yaml:"media_timeout_seconds"`
	// SessionExpiresSeconds is the RFC 4028 session interval asked of peers that support
	// session timers: a call whose refresh never comes is ended.
	SessionExpiresSeconds int `json:"session_expires_seconds" yaml:"session_expires_seconds"`
}

// MediaTimeout is the media timeout with its default.
func (s SIPSettings) MediaTimeout() int {
	if s.MediaTimeoutSeconds <= 0 {
		return DefaultMediaTimeoutSeconds
	}
	return s.MediaTimeoutSeconds
}

// SessionExpires is the session interval with its default.
func (s SIPSettings) SessionExpires() int {
	if s.SessionExpiresSeconds <= 0 {
		return DefaultSessionExpiresSeconds
	}
	return s.SessionExpiresSeconds
}

// Service is one help desk with its own tickets, numbers and phone settings.
type Service struct {
	ID            string   `json:"id" yaml:"id"`
	Name          string   `json:"name" yaml:"name"`
	CTI           bool     `json:"cti" yaml:"cti"`
	RecallSeconds int      `json:"recall_seconds" yaml:"recall_seconds"`
	NoAnswer      NoAnswer `json:"no_answer" yaml:"no_answer"`
	// AfterCallSeconds, when not 0, returns an agent from the end-of-call notice (통화 종료)
	// to 대기 by itself after that many seconds, as 확인 would (wrap-up time). 0: the agent
	// answers the notice.
	AfterCallSeconds   int          `json:"after_call_seconds,omitempty" yaml:"after_call_seconds"`
	HoldAudio          string       `json:"hold_audio,omitempty" yaml:"hold_audio"` // audio reference; "" = built in
	HangupAnnouncement Announcement `json:"hangup_announcement" yaml:"hangup_announcement"`
	Numbers            []Number     `json:"numbers" yaml:"numbers"`
	CallerIDs          []CallerID   `json:"caller_ids" yaml:"caller_ids"`
	Favorites          []Favorite   `json:"favorites" yaml:"favorites"`
	Groups             []Group      `json:"groups" yaml:"groups"`
	Queues             []Queue      `json:"queues" yaml:"queues"`
	// DialPlan says which outside numbers the service may call (걸기, numbers dialled on its
	// agents' phones, transfers); empty: domestic only (internal/dialplan.Default).
	DialPlan DialPlan `json:"dial_plan" yaml:"dial_plan"`
	// Recording says whether the service's customer calls are recorded.
	Recording Recording `json:"recording" yaml:"recording"`
}

// RecordingMode is which calls of a service are recorded.
type RecordingMode string

const (
	RecordNone     RecordingMode = "none"      // none (also when left out)
	RecordAll      RecordingMode = "all"       // every customer call, from its answer
	RecordOnDemand RecordingMode = "on_demand" // a call from when its agent starts recording
)

// DefaultRetentionDays is how long recordings are kept when a service says nothing.
const DefaultRetentionDays = 90

// Recording is a service's call recording.
type Recording struct {
	Mode RecordingMode `json:"mode" yaml:"mode"`
	// RetentionDays: recordings older than this are deleted (files and records); 0 = 90.
	RetentionDays int `json:"retention_days" yaml:"retention_days"`
	// Announce is what the customer hears before a recorded conversation: builtin:recording
	// ("통화 내용이 녹음됩니다", also when left out), none, or stored audio.
	Announce string `json:"announce,omitempty" yaml:"announce"`
}

// Retention is the retention in days with its default.
func (r Recording) Retention() int { return orDefault(r.RetentionDays, DefaultRetentionDays) }

// Announcement is the audio played before a recorded conversation, "" for none.
func (r Recording) Announcement() string {
	switch r.Announce {
	case "":
		return "builtin:recording"
	case "none":
		return ""
	}
	return r.Announce
}

// DialPlan is a service's outbound allow and deny patterns (internal/dialplan says how they
// match): a number leaves when an allow pattern matches it and no deny pattern does.
type DialPlan struct {
	Allow []string `json:"allow" yaml:"allow"`
	Deny  []string `json:"deny" yaml:"deny"`
}

// Announcement is the 강성종료 message: the text shown to the agent and the audio the customer hears.
type Announcement struct {
	Text  string `json:"text" yaml:"text"`
	Audio string `json:"audio,omitempty" yaml:"audio"` // audio reference; "" = built in
}

// Number is a DID that rings the service, and the scenario it runs.
type Number struct {
	Number   string `json:"number" yaml:"number"`
	Queue    string `json:"queue" yaml:"queue"`
	Greeting string `json:"greeting,omitempty" yaml:"greeting"` // audio played before queueing; "" = none
}

// CallerID is an outbound number (발신번호) in display order.
type CallerID struct {
	Number string         `json:"number" yaml:"number"`
	Status CallerIDStatus `json:"status" yaml:"status"`
}

// Favorite is a saved transfer target (자주 사용되는 번호).
type Favorite struct {
	Name   string `json:"name" yaml:"name"`
	Number string `json:"number" yaml:"number"`
}

// Group is a set of agents, used to list ready agents for a transfer (대기 상담원 확인).
type Group struct {
	ID   string `json:"id" yaml:"id"`
	Name string `json:"name" yaml:"name"`
}

// Queue distributes calls to its ready members.
type Queue struct {
	Number   string   `json:"number" yaml:"number"`
	Name     string   `json:"name" yaml:"name"`
	Strategy Strategy `json:"strategy" yaml:"strategy"`
	Members  []string `json:"members" yaml:"members"` // agent logins
	// The figures' thresholds (docs/metrics.md); 0 takes the default.
	ServiceLevelSeconds int `json:"service_level_seconds,omitempty" yaml:"service_level_seconds"` // answered within: 20
	ServiceLevelTarget  int `json:"service_level_target,omitempty" yaml:"service_level_target"`   // % the wallboard aims at: 80
	WaitAlertSeconds    int `json:"wait_alert_seconds,omitempty" yaml:"wait_alert_seconds"`       // a wait this long turns red: 60
	ShortAbandonSeconds int `json:"short_abandon_seconds,omitempty" yaml:"short_abandon_seconds"` // hung up sooner: 5
}

// Defaults of a queue's thresholds.
const (
	DefaultServiceLevelSeconds = 20
	DefaultServiceLevelTarget  = 80
	DefaultWaitAlertSeconds    = 60
	DefaultShortAbandonSeconds = 5
)

// SLSeconds is the queue's service-level threshold.
func (q Queue) SLSeconds() int { return orDefault(q.ServiceLevelSeconds, DefaultServiceLevelSeconds) }

// SLTarget is the service level the queue aims at, in percent.
func (q Queue) SLTarget() int { return orDefault(q.ServiceLevelTarget, DefaultServiceLevelTarget) }

// WaitAlert is the wait that calls for attention.
func (q Queue) WaitAlert() int { return orDefault(q.WaitAlertSeconds, DefaultWaitAlertSeconds) }

// ShortAbandon is the wait under which an abandoned call does not count against the queue.
func (q Queue) ShortAbandon() int {
	return orDefault(q.ShortAbandonSeconds, DefaultShortAbandonSeconds)
}

func orDefault(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

// Agent is an account: an agent, a manager or an administrator.
type Agent struct {
	Login    string   `json:"login" yaml:"login"`
	Name     string   `json:"name" yaml:"name"`
	Password string   `json:"password,omitempty" yaml:"password"` // plain text on input only; never stored or returned
	Role     Role     `json:"role" yaml:"role"`
	Services []string `json:"services" yaml:"services"`
	// PhoneServices are the services where the agent has the 전화 permission (SPEC §1): the
	// phone icon, CTI 로그인, calls. Each must be one of Services; it counts only while that
	// service has cti: true. Left out (nil) — every site file and stored agent from before
	// the permission was explicit — the agent has it in every CTI service it works in, as it
	// always had. An empty list gives it nowhere.
	PhoneServices *[]string `json:"phone_services,omitempty" yaml:"phone_services"`
	Groups        []string  `json:"groups" yaml:"groups"`
	// CTI 상담원 정보
	Extension   string    `json:"extension,omitempty" yaml:"extension"`
	SIPPassword string    `json:"sip_password,omitempty" yaml:"sip_password"` // plain text on input only
	Phone       PhoneKind `json:"phone,omitempty" yaml:"phone"`
	AutoAccept  bool      `json:"auto_accept" yaml:"auto_accept"`

	// Stored secrets, never shown. Empty on input means "keep what is stored".
	PasswordHash string `json:"-" yaml:"-"` // argon2id, PHC string form
	SIPHA1       string `json:"-" yaml:"-"` // hex MD5(extension:realm:sip_password), RFC 2617
	SIPHA1SHA256 string `json:"-" yaml:"-"` // hex SHA-256 of the same, RFC 7616
}

// Trunk is a carrier connection.
type Trunk struct {
	ID       string   `json:"id" yaml:"id"`
	Host     string   `json:"host" yaml:"host"`
	Port     int      `json:"port" yaml:"port"`
	Allow    []string `json:"allow" yaml:"allow"` // CIDRs accepted for inbound calls
	Username string   `json:"username,omitempty" yaml:"username"`
	Password string   `json:"password,omitempty" yaml:"password"`
	Prefix   string   `json:"prefix" yaml:"prefix"` // dialled prefix that selects the trunk; stripped
	// OutboundProxy, when set, is the first hop of every request to the trunk (calls and
	// OPTIONS probes), host[:port] or a sip: URI: the requests carry it as a loose Route and
	// keep the trunk's host in their Request-URI (a carrier's SBC in front of its core).
	OutboundProxy string `json:"outbound_proxy,omitempty" yaml:"outbound_proxy"`
	// Transport is how requests to the trunk travel: udp (when empty), tcp or tls.
	Transport string `json:"transport,omitempty" yaml:"transport"`
}

// HasPhone reports whether the agent holds the 전화 permission in a service (whether that
// service uses CTI at all is the service's to say).
func (a *Agent) HasPhone(service string) bool {
	if a == nil || service == "" || !slices.Contains(a.Services, service) {
		return false
	}
	return a.PhoneServices == nil || slices.Contains(*a.PhoneServices, service)
}

// Phones returns a list for PhoneServices: given explicitly, even when empty.
func Phones(services ...string) *[]string {
	list := append([]string{}, services...)
	return &list
}

// TrunkTransports are the transports a trunk may name.
var TrunkTransports = []string{"udp", "tcp", "tls"}
