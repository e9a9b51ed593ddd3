package media

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// ErrNoCodec is returned for an offer or answer with no audio stream in a format we speak
// (PCMU or PCMA over RTP/AVP). The SIP layer answers it with 488 Not Acceptable Here.
var ErrNoCodec = errors.New("media: no common codec (PCMU or PCMA over RTP/AVP required)")

// ErrBadSDP is returned for a description that cannot be parsed or used. The SIP layer answers
// it with 400 (or 488 inside a dialog).
var ErrBadSDP = errors.New("media: malformed SDP")

// The static G.711 payload types (RFC 3551). An offer may map the codecs to other numbers;
// the negotiated Codec then carries the offerer's number.
var (
	PCMU = Codec{Name: "PCMU", PayloadType: 0, ClockRate: 8000}
	PCMA = Codec{Name: "PCMA", PayloadType: 8, ClockRate: 8000}
)

// dtmfPT is the payload type we offer for telephone-event; in answers the offerer's is kept.
const dtmfPT = 101

// Directions as SDP writes them (RFC 3264 §5.1).
const (
	sendrecv = "sendrecv"
	sendonly = "sendonly"
	recvonly = "recvonly"
	inactive = "inactive"
)

// mline is one m= line of a description, kept so that an answer can refuse the streams we do
// not take (RFC 3264 §6: the answer has as many m= lines as the offer, in the same order).
type mline struct {
	media   string
	proto   string
	formats []string
}

// remoteMedia is what a far end's description says about its audio.
type remoteMedia struct {
	addr      netip.AddrPort // where to send; invalid for c=0.0.0.0 (RFC 2543 hold)
	rtcp      netip.AddrPort // where its RTCP goes by RFC 3605 a=rtcp; invalid if not said
	formats   []Codec        // G.711 formats, in the far end's order of preference
	dtmf      int            // telephone-event payload type, -1 if none
	direction string         // sendrecv | sendonly | recvonly | inactive
	proto     string         // RTP/AVP or RTP/AVPF, echoed in our answer
	lines     []mline        // every m= line
	audio     int            // which of lines is the audio stream we use
}

// rtcpAddr is where the far end wants its RTCP: what a=rtcp says, else the port above its
// RTP (RFC 3550 §11).
func (r *remoteMedia) rtcpAddr() netip.AddrPort {
	switch {
	case r.rtcp.IsValid():
		return r.rtcp
	case r.addr.IsValid() && r.addr.Port() < 65535:
		return netip.AddrPortFrom(r.addr.Addr(), r.addr.Port()+1)
	}
	return netip.AddrPort{}
}

// hold reports whether the far end does not want our audio: it has put us on hold.
func (r *remoteMedia) hold() bool {
	return r.direction == sendonly || r.direction == inactive || !r.addr.IsValid()
}

// answerDirection is the direction of our answer: the mirror of the offer's (RFC 3264 §6.1).
// An RFC 2543 hold (c=0.0.0.0) asks us not to send, so we only receive.
func (r *remoteMedia) answerDirection() string {
	switch r.direction {
	case sendonly:
		return recvonly
	case recvonly:
		if !r.addr.IsValid() {
			return inactive
		}
		return sendonly
	case inactive:
		return inactive
	}
	if !r.addr.IsValid() {
		return recvonly
	}
	return sendrecv
}

// parseSDP reads a far end's description and picks its first usable audio stream.
func parseSDP(b []byte) (*remoteMedia, error) {
	var d sdp.SessionDescription
	if err := d.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	r := &remoteMedia{dtmf: -1, direction: sendrecv, audio: -1}
	sessionDir := ""
	for _, a := range d.Attributes {
		if isDirection(a.Key) {
			sessionDir = a.Key
		}
	}
	var refused error = fmt.Errorf("%w: no audio stream", ErrNoCodec)
	for i, md := range d.MediaDescriptions {
		proto := strings.Join(md.MediaName.Protos, "/")
		r.lines = append(r.lines, mline{media: md.MediaName.Media, proto: proto, formats: md.MediaName.Formats})
		if r.audio >= 0 || md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 {
			continue
		}
		// RTP/AVPF is RTP/AVP plus feedback we may ignore; SAVP needs SRTP, which trunks and
		// desk phones reach through the browser path instead.
		if proto != "RTP/AVP" && proto != "RTP/AVPF" {
			refused = fmt.Errorf("%w: audio over %s", ErrNoCodec, proto)
			continue
		}
		formats, dtmf := g711Formats(md)
		if len(formats) == 0 {
			refused = fmt.Errorf("%w: offered formats %s", ErrNoCodec, strings.Join(md.MediaName.Formats, " "))
			continue
		}
		addr, err := streamAddr(&d, md)
		if err != nil {
			return nil, err
		}
		r.audio, r.addr, r.formats, r.dtmf, r.proto = i, addr, formats, dtmf, proto
		r.direction = sendrecv
		if sessionDir != "" {
			r.direction = sessionDir
		}
		for _, a := range md.Attributes {
			if isDirection(a.Key) {
				r.direction = a.Key
			}
			if a.Key == "rtcp" {
				r.rtcp = rtcpAttr(a.Value, addr)
			}
		}
	}
	if r.audio < 0 {
		return nil, refused
	}
	return r, nil
}

// streamAddr is where a stream's packets go: its own c= line or the session's.
func streamAddr(d *sdp.SessionDescription, md *sdp.MediaDescription) (netip.AddrPort, error) {
	conn := d.ConnectionInformation
	if md.ConnectionInformation != nil {
		conn = md.ConnectionInformation
	}
	if conn == nil || conn.Address == nil {
		return netip.AddrPort{}, fmt.Errorf("%w: no connection address (c=) for the audio stream", ErrBadSDP)
	}
	ip, err := netip.ParseAddr(conn.Address.Address)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%w: connection address %q is not an IP address", ErrBadSDP, conn.Address.Address)
	}
	port := md.MediaName.Port.Value
	if port <= 0 || port > 65535 {
		return netip.AddrPort{}, fmt.Errorf("%w: audio port %d", ErrBadSDP, port)
	}
	if ip.IsUnspecified() {
		return netip.AddrPort{}, nil // RFC 2543 hold: "do not send to me"
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)), nil
}

// rtcpAttr reads RFC 3605's "a=rtcp:port [IN IP4 addr]"; an attribute we cannot read leaves
// the default (invalid), as does one for an RTP stream we do not send to.
func rtcpAttr(v string, rtp netip.AddrPort) netip.AddrPort {
	f := strings.Fields(v)
	if len(f) == 0 || !rtp.IsValid() {
		return netip.AddrPort{}
	}
	port, err := strconv.Atoi(f[0])
	if err != nil || port <= 0 || port > 65535 {
		return netip.AddrPort{}
	}
	ip := rtp.Addr()
	if len(f) == 4 && f[1] == "IN" {
		a, err := netip.ParseAddr(f[3])
		if err != nil || a.IsUnspecified() {
			return netip.AddrPort{}
		}
		ip = a.Unmap()
	}
	return netip.AddrPortFrom(ip, uint16(port))
}

// g711Formats lists the stream's PCMU/PCMA formats in its order, and its telephone-event
// payload type (-1 if none). Static types 0 and 8 need no rtpmap; dynamic ones do.
func g711Formats(md *sdp.MediaDescription) ([]Codec, int) {
	rtpmap := map[int]string{}
	for _, a := range md.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		pt, enc, ok := strings.Cut(strings.TrimSpace(a.Value), " ")
		if n, err := strconv.Atoi(pt); ok && err == nil {
			rtpmap[n] = strings.ToUpper(strings.TrimSpace(enc))
		}
	}
	var out []Codec
	dtmf := -1
	for _, f := range md.MediaName.Formats {
		pt, err := strconv.Atoi(f)
		if err != nil || pt < 0 || pt > 127 {
			continue
		}
		enc, mapped := rtpmap[pt]
		switch {
		case !mapped && pt == 0, enc == "PCMU/8000", enc == "PCMU/8000/1":
			out = append(out, Codec{Name: "PCMU", PayloadType: uint8(pt), ClockRate: 8000})
		case !mapped && pt == 8, enc == "PCMA/8000", enc == "PCMA/8000/1":
			out = append(out, Codec{Name: "PCMA", PayloadType: uint8(pt), ClockRate: 8000})
		case enc == "TELEPHONE-EVENT/8000" && dtmf < 0:
			dtmf = pt
		}
	}
	return out, dtmf
}

func isDirection(key string) bool {
	switch key {
	case sendrecv, sendonly, recvonly, inactive:
		return true
	}
	return false
}

// ourSDP is what we say about our side of a stream.
type ourSDP struct {
	id, version uint64
	addr        netip.AddrPort
	proto       string
	codecs      []Codec
	dtmf        int // -1: no telephone-event
	direction   string
	// answering: the offer's m= lines; every one but the audio stream we took is refused
	lines []mline
	audio int
}

// marshal writes the description. Field order and spelling are fixed so that golden files
// catch any change a far end might notice.
func (o ourSDP) marshal() []byte {
	ip := o.addr.Addr()
	addrType := "IP4"
	if ip.Is6() && !ip.Is4In6() {
		addrType = "IP6"
	}
	proto := o.proto
	if proto == "" {
		proto = "RTP/AVP"
	}
	audio := &sdp.MediaDescription{MediaName: sdp.MediaName{Media: "audio",
		Port: sdp.RangedPort{Value: int(o.addr.Port())}, Protos: strings.Split(proto, "/")}}
	for _, c := range o.codecs {
		audio.MediaName.Formats = append(audio.MediaName.Formats, strconv.Itoa(int(c.PayloadType)))
		audio.Attributes = append(audio.Attributes, sdp.NewAttribute("rtpmap", fmt.Sprintf("%d %s/%d", c.PayloadType, c.Name, c.ClockRate)))
	}
	if o.dtmf >= 0 {
		audio.MediaName.Formats = append(audio.MediaName.Formats, strconv.Itoa(o.dtmf))
		audio.Attributes = append(audio.Attributes,
			sdp.NewAttribute("rtpmap", fmt.Sprintf("%d telephone-event/8000", o.dtmf)),
			sdp.NewAttribute("fmtp", fmt.Sprintf("%d 0-15", o.dtmf))) // the DTMF events; we use no others
	}
	audio.Attributes = append(audio.Attributes, sdp.NewAttribute("ptime", "20"), sdp.NewPropertyAttribute(o.direction))

	streams := []*sdp.MediaDescription{audio}
	if o.lines != nil {
		streams = streams[:0]
		for i, l := range o.lines {
			if i == o.audio {
				streams = append(streams, audio)
				continue
			}
			formats, lproto := l.formats, l.proto
			if len(formats) == 0 {
				formats = []string{"0"}
			}
			if lproto == "" {
				lproto = "RTP/AVP"
			}
			streams = append(streams, &sdp.MediaDescription{MediaName: sdp.MediaName{Media: l.media,
				Port: sdp.RangedPort{Value: 0}, Protos: strings.Split(lproto, "/"), Formats: formats[:1]}})
		}
	}
	d := &sdp.SessionDescription{
		Origin: sdp.Origin{Username: "ringdesk", SessionID: o.id, SessionVersion: o.version, NetworkType: "IN",
			AddressType: addrType, UnicastAddress: ip.String()},
		SessionName:           "ringdesk",
		ConnectionInformation: &sdp.ConnectionInformation{NetworkType: "IN", AddressType: addrType, Address: &sdp.Address{Address: ip.String()}},
		TimeDescriptions:      []sdp.TimeDescription{{Timing: sdp.Timing{}}},
		MediaDescriptions:     streams,
	}
	b, err := d.Marshal()
	if err != nil { // only fails for descriptions this function never builds
		panic(fmt.Sprintf("media: marshalling our own SDP: %v", err))
	}
	return b
}
