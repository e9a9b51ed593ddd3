package siptest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Call is one call of a UA, placed (Dial) or taken (WaitRinging).
type Call struct {
	ua       *UA
	ID       string
	Request  *sip.Request  // the INVITE, sent or received
	Response *sip.Response // the 2xx, for a call we placed
	srv      *sipgo.DialogServerSession
	cli      *sipgo.DialogClientSession
	audio    *audio
	decide   chan int   // a taken call: 200 or the code to refuse it with
	answered chan error // a taken call: the outcome of answering
	ended    chan struct{}
	endOnce  sync.Once

	mu          sync.Mutex
	byeReceived bool
}

// Answer answers a ringing call and returns once the server has ACKed the 200.
func (c *Call) Answer() error { return c.decideWith(200) }

// Reject refuses a ringing call with code (486, 603…).
func (c *Call) Reject(code int) error { return c.decideWith(code) }

// ErrEnded: the call ended (CANCEL, BYE, the UA closing) before the decision took effect.
var ErrEnded = errors.New("siptest: the call has ended")

func (c *Call) decideWith(code int) error {
	select {
	case c.decide <- code:
	case <-c.ended:
		return ErrEnded
	}
	select {
	case err := <-c.answered:
		return err
	case <-c.ended:
		select {
		case err := <-c.answered:
			return err
		default:
			return ErrEnded
		}
	}
}

// Decline is Reject.
func (c *Call) Decline(code int) error { return c.Reject(code) }

func (c *Call) end() {
	c.endOnce.Do(func() {
		close(c.ended)
		c.audio.close()
		c.ua.mu.Lock()
		delete(c.ua.calls, c.ID)
		c.ua.mu.Unlock()
	})
}

// Hangup sends BYE and returns once it was answered.
func (c *Call) Hangup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	defer c.end()
	if c.cli != nil {
		return c.cli.Bye(ctx)
	}
	return c.srv.Bye(ctx)
}

// WaitEnded waits for the far end to end the call (BYE, or CANCEL of a ringing one).
func (c *Call) WaitEnded(timeout time.Duration) bool {
	select {
	case <-c.ended:
		return true
	case <-time.After(timeout):
		return false
	}
}

// Ended reports whether the call is over.
func (c *Call) Ended() bool {
	select {
	case <-c.ended:
		return true
	default:
		return false
	}
}

// ByeReceived reports whether the far end ended the call with BYE.
func (c *Call) ByeReceived() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byeReceived
}

// Mute stops (true) or restarts (false) the call's RTP, as a far end that died or hung
// without a BYE would: the signalling stays as it was.
func (c *Call) Mute(mute bool) {
	c.audio.mu.Lock()
	c.audio.muted = mute
	c.audio.mu.Unlock()
}

// Hold puts the far end on hold: a re-INVITE with a=sendonly.
func (c *Call) Hold() error { return c.reinviteOK("sendonly") }

// Resume takes it off hold: a re-INVITE with a=sendrecv.
func (c *Call) Resume() error { return c.reinviteOK("sendrecv") }

func (c *Call) reinviteOK(dir string) error {
	code, err := c.ReInvite(dir)
	if err == nil && code != 200 {
		err = fmt.Errorf("re-INVITE (%s) answered %d", dir, code)
	}
	return err
}

// ReInvite sends a re-INVITE offering our media with an SDP direction (sendrecv, sendonly,
// inactive…), ACKs a 2xx, and returns the status.
func (c *Call) ReInvite(direction string) (int, error) {
	return c.ReInviteBody(c.audio.sdp(direction))
}

// ReInviteBody sends a re-INVITE with any body (nil: an offerless one, answered in the ACK).
func (c *Call) ReInviteBody(body []byte) (int, error) {
	req := sip.NewRequest(sip.INVITE, c.remoteTarget())
	if body != nil {
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.do(ctx, req)
	if err != nil {
		return 0, err
	}
	if res.IsSuccess() {
		ack := sip.NewRequest(sip.ACK, c.remoteTarget())
		if body == nil {
			c.audio.setRemote(res.Body())
			ack.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
			ack.SetBody(c.audio.sdp("sendrecv"))
		}
		if c.cli != nil {
			c.cli.WriteRequest(ack)
		} else {
			c.srv.WriteRequest(ack)
		}
	}
	return res.StatusCode, nil
}

// Send sends a request inside the call's dialog (INFO, UPDATE…) and returns the final
// response.
func (c *Call) Send(method sip.RequestMethod, contentType string, body []byte) (*sip.Response, error) {
	req := sip.NewRequest(method, c.remoteTarget())
	if body != nil {
		req.AppendHeader(sip.NewHeader("Content-Type", contentType))
		req.SetBody(body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.do(ctx, req)
}

func (c *Call) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	if c.cli != nil {
		return c.cli.Do(ctx, req)
	}
	return c.srv.Do(ctx, req)
}

// Refresh refreshes the session (RFC 4028) with an UPDATE carrying Session-Expires: secs, the
// UA itself the refresher, and returns the response.
func (c *Call) Refresh(secs int) (*sip.Response, error) {
	req := sip.NewRequest(sip.UPDATE, c.remoteTarget())
	req.AppendHeader(sip.NewHeader("Supported", "timer"))
	req.AppendHeader(sip.NewHeader("Session-Expires", fmt.Sprintf("%d;refresher=uac", secs)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.do(ctx, req)
}

// SendDTMF sends digits as RFC 4733 events in the call's RTP, one after another.
func (c *Call) SendDTMF(digits string) error {
	for i := 0; i < len(digits); i++ {
		if err := c.audio.sendDTMF(digits[i]); err != nil {
			return err
		}
		time.Sleep(40 * time.Millisecond)
	}
	return nil
}

// SendInfoDTMF sends one digit as SIP INFO (application/dtmf-relay) and returns the status.
func (c *Call) SendInfoDTMF(digit string) (int, error) {
	res, err := c.Send(sip.INFO, "application/dtmf-relay", []byte("Signal="+digit+"\r\nDuration=160\r\n"))
	if err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// Digits returns the RFC 4733 digits the party has received so far.
func (c *Call) Digits() string { return c.audio.received() }

func (c *Call) remoteTarget() sip.Uri {
	if c.cli != nil {
		if ct := c.cli.InviteResponse.Contact(); ct != nil {
			return ct.Address
		}
	}
	if ct := c.Request.Contact(); ct != nil {
		return ct.Address
	}
	return c.Request.Recipient
}

// HeardSince measures what the party heard since t.
func (c *Call) HeardSince(t time.Time) Heard { return c.audio.heardSince(t) }

// Listen waits d and returns what was heard meanwhile, less its first fifth (a switch-over
// from what was heard before).
func (c *Call) Listen(d time.Duration) Heard {
	t := time.Now()
	time.Sleep(d)
	return c.audio.heardSince(t.Add(d / 5))
}

// Header returns a header of the call's INVITE ("" when absent).
func (c *Call) Header(name string) string {
	if h := c.Request.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

// From is the user part of the INVITE's From: the caller's number.
func (c *Call) From() string { return c.Request.From().Address.User }

// To is the user part of the INVITE's Request-URI: the number called.
func (c *Call) To() string { return c.Request.Recipient.User }

// PAI is the user part of the INVITE's P-Asserted-Identity ("" when absent).
func (c *Call) PAI() string {
	h := c.Request.GetHeader("P-Asserted-Identity")
	if h == nil {
		return ""
	}
	var u sip.Uri
	if _, err := sip.ParseAddressValue(h.Value(), &u, nil); err != nil {
		return ""
	}
	return u.User
}
