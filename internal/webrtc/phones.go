package webrtc

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	pw "github.com/pion/webrtc/v4"

	"ringdesk/internal/media"
	"ringdesk/internal/telephony"
)

// Config says where browser media goes.
type Config struct {
	// IP is the address put in the server's ICE candidates (the one browsers can reach).
	IP netip.Addr
	// PortMin and PortMax bound the UDP ports used for browser media.
	PortMin, PortMax uint16
	Logger           *slog.Logger
}

// Phones is every connected console and every browser leg.
type Phones struct {
	api    *pw.API
	report func(telephony.Event)
	log    *slog.Logger

	mu       sync.Mutex
	consoles map[string][]*console // by agent login, newest last
	legs     map[telephony.LegID]*Leg
}

// console is one connected agent console. Messages to it are queued and written by its own
// goroutine: a command (ring, hang up) never waits on a browser that reads slowly.
type console struct {
	send  func([]byte) error
	out   chan []byte   // messages waiting to be written
	gone  chan struct{} // closed when the console disconnected or stopped reading
	once  sync.Once
	ready bool // said hello: it has a microphone and can answer; guarded by Phones.mu
}

// consoleQueue bounds the messages waiting for one console; a console that far behind has
// stopped reading and is treated as gone.
const consoleQueue = 256

// errConsoleGone refuses a message for a console that is gone or stopped reading.
var errConsoleGone = errors.New("webrtc: the console is not reading")

func newConsole(send func([]byte) error) *console {
	c := &console{send: send, out: make(chan []byte, consoleQueue), gone: make(chan struct{})}
	go c.write()
	return c
}

// write delivers queued messages in order until the console goes.
func (c *console) write() {
	for {
		select {
		case m := <-c.out:
			if err := c.send(m); err != nil {
				c.stop()
				return
			}
		case <-c.gone:
			return
		}
	}
}

func (c *console) stop() { c.once.Do(func() { close(c.gone) }) }

// enqueue queues a message without waiting.
func (c *console) enqueue(b []byte) error {
	select {
	case <-c.gone:
		return errConsoleGone
	default:
	}
	select {
	case c.out <- b:
		return nil
	default:
		c.stop()
		return errConsoleGone
	}
}

// message is one signalling message on the console's WebSocket, both ways.
type message struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data,omitempty"`
}

type legData struct {
	Leg       telephony.LegID      `json:"leg"`
	SDP       string               `json:"sdp,omitempty"`
	Candidate *pw.ICECandidateInit `json:"candidate,omitempty"`
	Reason    string               `json:"reason,omitempty"`
	From      string               `json:"from,omitempty"`
	Display   string               `json:"display,omitempty"`
}

// New builds the browser phones. report receives the legs' events (ringing, answered, failed,
// hung up).
func New(cfg Config, report func(telephony.Event)) (*Phones, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	me := &pw.MediaEngine{}
	// G.711 only: no transcoding between the browser and SIP legs
	for _, c := range []pw.RTPCodecParameters{
		{RTPCodecCapability: pw.RTPCodecCapability{MimeType: pw.MimeTypePCMU, ClockRate: 8000}, PayloadType: 0},
		{RTPCodecCapability: pw.RTPCodecCapability{MimeType: pw.MimeTypePCMA, ClockRate: 8000}, PayloadType: 8},
		// RFC 4733 DTMF, so that an agent can work a bank's or a carrier's IVR from the browser
		{RTPCodecCapability: pw.RTPCodecCapability{MimeType: "audio/telephone-event", ClockRate: 8000, SDPFmtpLine: "0-16"}, PayloadType: 101},
	} {
		if err := me.RegisterCodec(c, pw.RTPCodecTypeAudio); err != nil {
			return nil, fmt.Errorf("webrtc: registering %s: %w", c.MimeType, err)
		}
	}
	se := pw.SettingEngine{}
	if cfg.PortMin != 0 {
		if err := se.SetEphemeralUDPPortRange(cfg.PortMin, cfg.PortMax); err != nil {
			return nil, fmt.Errorf("webrtc: port range: %w", err)
		}
	}
	se.SetNetworkTypes([]pw.NetworkType{pw.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(0) // no mDNS on a server
	if cfg.IP.IsValid() {
		ip := cfg.IP
		se.SetIPFilter(func(x net.IP) bool {
			a, ok := netip.AddrFromSlice(x)
			return ok && a.Unmap() == ip
		})
		if ip.IsLoopback() {
			se.SetIncludeLoopbackCandidate(true)
		}
	}
	return &Phones{
		api:      pw.NewAPI(pw.WithMediaEngine(me), pw.WithSettingEngine(se)),
		report:   report,
		log:      cfg.Logger,
		consoles: map[string][]*console{},
		legs:     map[telephony.LegID]*Leg{},
	}, nil
}

// Connected registers an agent's console; the returned function forgets it. Legs ringing or
// up on a console that goes away end.
func (p *Phones) Connected(login string, send func([]byte) error) func() {
	c := newConsole(send)
	p.mu.Lock()
	p.consoles[login] = append(p.consoles[login], c)
	p.mu.Unlock()
	return func() {
		c.stop()
		p.mu.Lock()
		list := p.consoles[login]
		for i, x := range list {
			if x == c {
				p.consoles[login] = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(p.consoles[login]) == 0 {
			delete(p.consoles, login)
		}
		var gone []*Leg
		for _, l := range p.legs {
			if l.console == c {
				gone = append(gone, l)
			}
		}
		p.mu.Unlock()
		for _, l := range gone {
			l.end(telephony.CauseUnavailable)
		}
	}
}

// Online reports whether an agent has a console that can answer.
func (p *Phones) Online(login string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.consoles[login] {
		if c.ready {
			return true
		}
	}
	return false
}

// Message handles one signalling message from an agent's console.
func (p *Phones) Message(login string, raw []byte) error {
	var m message
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("malformed message: %v", err)
	}
	if m.Type == "webrtc.hello" {
		p.mu.Lock()
		if list := p.consoles[login]; len(list) > 0 {
			// the console that said hello last is the one that rings
			for _, c := range list {
				c.ready = false
			}
			list[len(list)-1].ready = true
		}
		p.mu.Unlock()
		return nil
	}
	var d legData
	if len(m.Data) > 0 {
		if err := json.Unmarshal(m.Data, &d); err != nil {
			return fmt.Errorf("malformed %s: %v", m.Type, err)
		}
	}
	p.mu.Lock()
	l := p.legs[d.Leg]
	p.mu.Unlock()
	if l == nil || l.login != login {
		if m.Type == "webrtc.answer" || m.Type == "webrtc.candidate" {
			return fmt.Errorf("no such call leg %q", d.Leg)
		}
		return nil
	}
	switch m.Type {
	case "webrtc.answer":
		return l.answer(d.SDP)
	case "webrtc.candidate":
		if d.Candidate == nil {
			return errors.New("candidate missing")
		}
		return l.pc.AddICECandidate(*d.Candidate)
	case "webrtc.reject":
		l.fail(telephony.CauseDeclined, 603)
	case "webrtc.hangup":
		l.end(telephony.CauseNormal)
	default:
		return fmt.Errorf("unknown message type %q", m.Type)
	}
	return nil
}

// Place rings an agent's browser: an offer goes to its console. The outcome is reported.
func (p *Phones) Place(id telephony.LegID, login, from, display string) {
	go p.place(id, login, from, display)
}

func (p *Phones) place(id telephony.LegID, login, from, display string) {
	p.mu.Lock()
	var c *console
	for _, x := range p.consoles[login] {
		if x.ready {
			c = x
		}
	}
	p.mu.Unlock()
	if c == nil {
		p.report(telephony.Event{Leg: id, Kind: telephony.Failed, Cause: telephony.CauseUnavailable, Code: 480})
		return
	}
	l, err := p.newLeg(id, login, c)
	if err != nil {
		p.log.Error("browser leg", "leg", id, "err", err)
		p.report(telephony.Event{Leg: id, Kind: telephony.Failed, Cause: telephony.CauseRejected, Code: 500})
		return
	}
	offer, err := l.offer()
	if err != nil {
		l.fail(telephony.CauseRejected, 500)
		return
	}
	if err := c.sendMsg("webrtc.offer", legData{Leg: id, SDP: offer, From: from, Display: display}); err != nil {
		l.fail(telephony.CauseUnavailable, 480)
		return
	}
	p.report(telephony.Event{Leg: id, Kind: telephony.Ringing})
}

func (c *console) sendMsg(typ string, d legData) error {
	b, err := json.Marshal(struct {
		Type string    `json:"type"`
		At   time.Time `json:"at"`
		Data legData   `json:"data"`
	}{typ, time.Now().UTC(), d})
	if err != nil {
		return err
	}
	return c.enqueue(b)
}

// Hangup ends a browser leg in whatever state it is.
func (p *Phones) Hangup(id telephony.LegID) {
	p.mu.Lock()
	l := p.legs[id]
	p.mu.Unlock()
	if l != nil {
		l.close(true)
	}
}

// Endpoint returns a leg's media, once the leg exists.
func (p *Phones) Endpoint(id telephony.LegID) (media.Endpoint, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.legs[id]
	return l, ok
}

// Legs returns how many browser legs exist (for tests and metrics).
func (p *Phones) Legs() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.legs)
}

var (
	_ media.Endpoint    = (*Leg)(nil)
	_ media.EventSource = (*Leg)(nil)
)
