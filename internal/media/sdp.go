package media

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// ErrNoCodec is returned for an offer with no audio format we speak (the SIP layer answers
// 488 Not Acceptable Here).
var ErrNoCodec = errors.New("media: no common codec (PCMU or PCMA required)")

// ErrBadSDP is returned for a description that cannot be used.
var ErrBadSDP = errors.New("media: malformed SDP")

var (
	PCMU = Codec{Name: "PCMU", PayloadType: 0, ClockRate: 8000}
	PCMA = Codec{Name: "PCMA", PayloadType: 8, ClockRate: 8000}
)

// dtmfPT is the payload type we offer for telephone-event.
const dtmfPT = 101

// remoteMedia is what a far end's description says about its audio.
type remoteMedia struct {
	addr      netip.AddrPort // where to send; invalid when on hold with 0.0.0.0 or port 0
	formats   []Codec        // audio formats we support, in the far end's order
	dtmf      int            // telephone-event payload type, -1 if none
	direction string         // sendrecv | sendonly | recvonly | inactive
}

// hold reports whether the far end stopped listening: it puts us on hold.
func (r remoteMedia) hold() bool {
	return r.direction == "sendonly" || r.direction == "inactive" || !r.addr.IsValid()
}

// parseSDP reads the first audio stream of a description.
func parseSDP(b []byte) (remoteMedia, error) {
	r := remoteMedia{dtmf: -1, direction: "sendrecv"}
	var d sdp.SessionDescription
	if err := d.Unmarshal(b); err != nil {
		return r, fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	var m *sdp.MediaDescription
	for _, md := range d.MediaDescriptions {
		if md.MediaName.Media == "audio" && md.MediaName.Port.Value != 0 {
			m = md
			break
		}
	}
	if m == nil {
		return r, fmt.Errorf("%w: no audio stream", ErrNoCodec)
	}
	if len(m.MediaName.Protos) == 0 || !strings.HasPrefix(strings.Join(m.MediaName.Protos, "/"), "RTP/AVP") {
		return r, fmt.Errorf("%w: audio over %s, want RTP/AVP", ErrNoCodec, strings.Join(m.MediaName.Protos, "/"))
	}
	conn := d.ConnectionInformation
	if m.ConnectionInformation != nil {
		conn = m.ConnectionInformation
	}
	if conn == nil || conn.Address == nil {
		return r, fmt.Errorf("%w: no connection address", ErrBadSDP)
	}
	host := conn.Address.Address
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return r, fmt.Errorf("%w: connection address %q is not an IP address", ErrBadSDP, host)
	}
	port := m.MediaName.Port.Value
	if port < 0 || port > 65535 {
		return r, fmt.Errorf("%w: port %d", ErrBadSDP, port)
	}
	if !ip.IsUnspecified() {
		r.addr = netip.AddrPortFrom(ip.Unmap(), uint16(port))
	}
	rtpmap := map[int]string{}
	for _, a := range d.Attributes {
		if dir := direction(a.Key); dir != "" {
			r.direction = dir
		}
	}
	for _, a := range m.Attributes {
		if dir := direction(a.Key); dir != "" {
			r.direction = dir
		}
		if a.Key == "rtpmap" {
			pt, rest, ok := strings.Cut(a.Value, " ")
			if n, err := strconv.Atoi(pt); ok && err == nil {
				rtpmap[n] = strings.ToUpper(rest)
			}
		}
	}
	for _, f := range m.MediaName.Formats {
		pt, err := strconv.Atoi(f)
		if err != nil || pt < 0 || pt > 127 {
			continue
		}
		name := rtpmap[pt]
		switch {
		case name == "" && pt == 0, strings.HasPrefix(name, "PCMU/8000"):
			r.formats = append(r.formats, Codec{Name: "PCMU", PayloadType: uint8(pt), ClockRate: 8000})
		case name == "" && pt == 8, strings.HasPrefix(name, "PCMA/8000"):
			r.formats = append(r.formats, Codec{Name: "PCMA", PayloadType: uint8(pt), ClockRate: 8000})
		case strings.HasPrefix(name, "TELEPHONE-EVENT/8000"):
			r.dtmf = pt
		}
	}
	if len(r.formats) == 0 {
		return r, ErrNoCodec
	}
	return r, nil
}

func direction(key string) string {
	switch key {
	case "sendrecv", "sendonly", "recvonly", "inactive":
		return key
	}
	return ""
}

// answerDirection mirrors the far end's direction.
func answerDirection(offered string) string {
	switch offered {
	case "sendonly":
		return "recvonly"
	case "recvonly":
		return "sendonly"
	case "inactive":
		return "inactive"
	}
	return "sendrecv"
}

// buildSDP describes our side of a stream.
func buildSDP(id, version uint64, local netip.AddrPort, codecs []Codec, dtmf int, dir string) []byte {
	ip := local.Addr()
	addrType := "IP4"
	if ip.Is6() && !ip.Is4In6() {
		addrType = "IP6"
	}
	md := &sdp.MediaDescription{
		MediaName: sdp.MediaName{Media: "audio", Port: sdp.RangedPort{Value: int(local.Port())}, Protos: []string{"RTP", "AVP"}},
	}
	for _, c := range codecs {
		md.MediaName.Formats = append(md.MediaName.Formats, strconv.Itoa(int(c.PayloadType)))
		md.Attributes = append(md.Attributes, sdp.NewAttribute("rtpmap", fmt.Sprintf("%d %s/8000", c.PayloadType, c.Name)))
	}
	if dtmf >= 0 {
		md.MediaName.Formats = append(md.MediaName.Formats, strconv.Itoa(dtmf))
		md.Attributes = append(md.Attributes, sdp.NewAttribute("rtpmap", fmt.Sprintf("%d telephone-event/8000", dtmf)),
			sdp.NewAttribute("fmtp", fmt.Sprintf("%d 0-16", dtmf)))
	}
	md.Attributes = append(md.Attributes, sdp.NewAttribute("ptime", "20"), sdp.NewPropertyAttribute(dir))
	d := &sdp.SessionDescription{
		Origin: sdp.Origin{Username: "ringdesk", SessionID: id, SessionVersion: version, NetworkType: "IN",
			AddressType: addrType, UnicastAddress: ip.String()},
		SessionName:           "ringdesk",
		ConnectionInformation: &sdp.ConnectionInformation{NetworkType: "IN", AddressType: addrType, Address: &sdp.Address{Address: ip.String()}},
		TimeDescriptions:      []sdp.TimeDescription{{Timing: sdp.Timing{}}},
		MediaDescriptions:     []*sdp.MediaDescription{md},
	}
	b, _ := d.Marshal() // only fails for descriptions we never build
	return b
}
