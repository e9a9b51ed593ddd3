//go:build !linux

package media

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"time"
)

// Elsewhere than Linux a session's RTP socket is read by a goroutine of its own, through Go's
// network poller (see socket_linux.go for why Linux does better).

type rtpSocket struct {
	conn *net.UDPConn
	done chan struct{}
}

func listenRTP(addr netip.AddrPort) (*rtpSocket, error) {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
	if err != nil {
		return nil, err
	}
	return &rtpSocket{conn: c, done: make(chan struct{})}, nil
}

func (k *rtpSocket) start(_ *pollers, s *Session) error {
	go k.read(s)
	return nil
}

func (k *rtpSocket) read(s *Session) {
	defer close(k.done)
	buf := make([]byte, readBuf)
	for {
		n, src, err := k.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) {
				return
			}
			continue // ICMP errors surface here on some systems; the socket is still good
		}
		s.receive(buf[:n], src, time.Now())
	}
}

// stop ends the reader: a read deadline in the past wakes it.
func (k *rtpSocket) stop() {
	k.conn.SetReadDeadline(time.Unix(1, 0))
	<-k.done
}

func (k *rtpSocket) close() error { return k.conn.Close() }

func (k *rtpSocket) writeTo(b []byte, dest netip.AddrPort) error {
	_, err := k.conn.WriteToUDPAddrPort(b, dest)
	return err
}

type pollers struct{}

func newPollers() (*pollers, error) { return &pollers{}, nil }

func (*pollers) stop() {}
