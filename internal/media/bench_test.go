package media

import (
	"encoding/binary"
	"testing"
)

// BenchmarkBridgeForward is the cost of one packet crossing a bridge: parse, latch check,
// transcode PCMU→PCMA, restamp and send (a real UDP write to the far end).
func BenchmarkBridgeForward(b *testing.B) {
	t := &testing.T{}
	m, _ := NewManager(Config{IP: mustAddr("127.0.0.1"), PortMin: 36000, PortMax: 36100}, nil)
	defer m.Close()
	a, far := newPeer(t, PCMU), newPeer(t, PCMA)
	defer a.close()
	defer far.close()
	sa, _ := m.NewSession()
	sb, _ := m.NewSession()
	defer sa.Close()
	defer sb.Close()
	sa.Answer(sdpFor(a, []Codec{PCMU}, "sendrecv"))
	sb.Answer(sdpFor(far, []Codec{PCMA}, "sendrecv"))
	m.Bridge(sa, sb)
	pkt := make([]byte, 12+160)
	pkt[0], pkt[1] = 0x80, 0
	src := a.addr()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		binary.BigEndian.PutUint16(pkt[2:], uint16(i))
		binary.BigEndian.PutUint32(pkt[4:], uint32(i*160))
		sa.packet(pkt, src)
	}
}
