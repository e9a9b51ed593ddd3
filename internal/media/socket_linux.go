package media

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// On Linux a session's RTP socket is read by a few pollers, not by a goroutine of its own.
//
// Relaying a packet through a goroutine per socket costs three system calls (the read, a
// second read that finds nothing and parks the goroutine, the write) and the goroutine's park
// and wake-up through the scheduler; in the concurrent-calls profile that was most of the
// server's time. A poller keeps many sessions' sockets in a level-triggered epoll set and
// reads each ready socket once: a read and a write per packet, and a couple of epoll_wait
// calls per batch of ready sockets. The RTCP sockets, a packet every few seconds, stay with
// Go's poller.

// rtpSocket is a session's RTP socket: a non-blocking UDP socket outside Go's poller.
type rtpSocket struct {
	fd int
	v6 bool
	p  *poller // set by start

	mu   sync.Mutex // held while the poller reads and hands over one datagram
	dead bool       // set once stop has returned: the poller reads no more
}

// listenRTP binds a UDP socket on addr.
func listenRTP(addr netip.AddrPort) (*rtpSocket, error) {
	family, v6 := syscall.AF_INET, false
	if addr.Addr().Is6() {
		family, v6 = syscall.AF_INET6, true
	}
	fd, err := syscall.Socket(family, syscall.SOCK_DGRAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, syscall.IPPROTO_UDP)
	if err != nil {
		return nil, err
	}
	var sa syscall.Sockaddr = &syscall.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()}
	if v6 {
		sa = &syscall.SockaddrInet6{Port: int(addr.Port()), Addr: addr.Addr().As16()}
	}
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return &rtpSocket{fd: fd, v6: v6}, nil
}

// start hands the socket's datagrams to s.receive, from one of the pollers.
func (k *rtpSocket) start(ps *pollers, s *Session) error {
	p := ps.next()
	k.p = p
	p.mu.Lock()
	p.sessions[int32(k.fd)] = s
	p.mu.Unlock()
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(k.fd)}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, k.fd, &ev); err != nil {
		p.mu.Lock()
		delete(p.sessions, int32(k.fd))
		p.mu.Unlock()
		return fmt.Errorf("media: epoll: %w", err)
	}
	return nil
}

// stop ends the hand-over: when it returns, s.receive is not running for this socket and is
// not called again.
func (k *rtpSocket) stop() {
	if k.p != nil {
		k.p.forget(k.fd)
	}
	k.mu.Lock()
	k.dead = true
	k.mu.Unlock()
}

// close closes the socket. Nothing may write to it any more (Session.Close sees to that).
func (k *rtpSocket) close() error { return syscall.Close(k.fd) }

// deliver reads one datagram, if one is there, and hands it to s. One read per readiness:
// if more are queued, the level-triggered set reports the socket again.
func (k *rtpSocket) deliver(s *Session, buf []byte, rsa *syscall.RawSockaddrAny, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.dead {
		return
	}
	size := uint32(syscall.SizeofSockaddrAny)
	n, _, e := syscall.Syscall6(syscall.SYS_RECVFROM, uintptr(k.fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0,
		uintptr(unsafe.Pointer(rsa)), uintptr(unsafe.Pointer(&size)))
	if e != 0 {
		return // nothing after all, or an ICMP error from an earlier send: the socket is still good
	}
	var src netip.AddrPort
	switch rsa.Addr.Family {
	case syscall.AF_INET:
		sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(rsa))
		src = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), ntohs(sa.Port))
	case syscall.AF_INET6:
		sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(rsa))
		src = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), ntohs(sa.Port))
	default:
		return
	}
	s.receive(buf[:n], src, now)
}

var errFamily = errors.New("media: destination of the other address family")

// writeTo sends one datagram to dest.
func (k *rtpSocket) writeTo(b []byte, dest netip.AddrPort) error {
	var e syscall.Errno
	ip := dest.Addr()
	if k.v6 {
		sa := syscall.RawSockaddrInet6{Family: syscall.AF_INET6, Port: htons(dest.Port()), Addr: ip.As16()}
		_, _, e = syscall.Syscall6(syscall.SYS_SENDTO, uintptr(k.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0,
			uintptr(unsafe.Pointer(&sa)), syscall.SizeofSockaddrInet6)
	} else {
		if ip = ip.Unmap(); !ip.Is4() {
			return errFamily
		}
		sa := syscall.RawSockaddrInet4{Family: syscall.AF_INET, Port: htons(dest.Port()), Addr: ip.As4()}
		_, _, e = syscall.Syscall6(syscall.SYS_SENDTO, uintptr(k.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0,
			uintptr(unsafe.Pointer(&sa)), syscall.SizeofSockaddrInet4)
	}
	if e != 0 {
		return e
	}
	return nil
}

// htons and ntohs turn a port into the byte order of a sockaddr and back, as it sits in a
// uint16 field in memory.
func htons(p uint16) uint16 {
	b := [2]byte{byte(p >> 8), byte(p)}
	return *(*uint16)(unsafe.Pointer(&b))
}

func ntohs(p uint16) uint16 {
	b := *(*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}

// pollers are a manager's RTP readers, one per processor.
type pollers struct {
	all []*poller
	rr  uint32
	mu  sync.Mutex
}

// poller waits on an epoll set of sessions' sockets. The set's own descriptor waits in Go's
// network poller, so a poller blocks no thread while nothing arrives: waiting in epoll_wait
// itself would hold a processor until the runtime noticed, and delay every other goroutine
// (a player's next frame) by up to a few milliseconds.
type poller struct {
	epfd     int
	file     *os.File        // epfd, for Go's poller
	raw      syscall.RawConn // of file
	wake     [2]int          // a pipe: a byte on it ends the poller
	done     chan struct{}
	mu       sync.RWMutex
	sessions map[int32]*Session // by socket
	stopped  bool
}

func newPollers() (*pollers, error) {
	ps := &pollers{}
	for range runtime.GOMAXPROCS(0) {
		p, err := newPoller()
		if err != nil {
			ps.stop()
			return nil, err
		}
		ps.all = append(ps.all, p)
		go p.run()
	}
	return ps, nil
}

func newPoller() (*poller, error) {
	p := &poller{done: make(chan struct{}), sessions: map[int32]*Session{}}
	var err error
	if p.epfd, err = syscall.EpollCreate1(syscall.EPOLL_CLOEXEC); err != nil {
		return nil, fmt.Errorf("media: epoll: %w", err)
	}
	if err := syscall.Pipe2(p.wake[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		syscall.Close(p.epfd)
		return nil, fmt.Errorf("media: pipe: %w", err)
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(p.wake[0])}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, p.wake[0], &ev); err != nil {
		p.closeFDs()
		return nil, fmt.Errorf("media: epoll: %w", err)
	}
	// non-blocking, so that os.NewFile hands it to Go's poller
	if err := syscall.SetNonblock(p.epfd, true); err != nil {
		p.closeFDs()
		return nil, fmt.Errorf("media: epoll: %w", err)
	}
	p.file = os.NewFile(uintptr(p.epfd), "rtp-epoll")
	if p.raw, err = p.file.SyscallConn(); err != nil {
		p.closeFDs()
		return nil, fmt.Errorf("media: epoll: %w", err)
	}
	return p, nil
}

func (p *poller) closeFDs() {
	if p.file != nil {
		p.file.Close()
	} else {
		syscall.Close(p.epfd)
	}
	syscall.Close(p.wake[0])
	syscall.Close(p.wake[1])
}

func (ps *pollers) next() *poller {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.rr++
	return ps.all[int(ps.rr)%len(ps.all)]
}

// stop ends every poller and waits for them.
func (ps *pollers) stop() {
	for _, p := range ps.all {
		syscall.Write(p.wake[1], []byte{1})
		<-p.done
		p.mu.Lock()
		p.stopped = true
		p.mu.Unlock()
		p.closeFDs()
	}
}

// forget takes a socket out of the poller's set, unless the poller has stopped (its epoll
// set is closed, and its number may be another file's by now).
func (p *poller) forget(fd int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.sessions, int32(fd))
	if !p.stopped {
		syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, fd, nil)
	}
}

// run hands over what arrives until the poller is stopped. Go's poller wakes it when the set
// has anything ready; it then takes what is ready, without waiting, until nothing is.
func (p *poller) run() {
	defer close(p.done)
	events := make([]syscall.EpollEvent, 256)
	buf := make([]byte, readBuf)
	rsa := new(syscall.RawSockaddrAny)
	p.raw.Read(func(uintptr) bool {
		for {
			n, err := syscall.EpollWait(p.epfd, events, 0)
			switch {
			case err == syscall.EINTR:
				continue
			case err != nil:
				return true
			case n == 0:
				return false
			}
			// One clock reading a batch: the datagrams of a batch arrived within it.
			now := time.Now()
			for _, ev := range events[:n] {
				if int(ev.Fd) == p.wake[0] {
					return true
				}
				p.mu.RLock()
				s := p.sessions[ev.Fd]
				p.mu.RUnlock()
				if s != nil {
					s.sock.deliver(s, buf, rsa, now)
				}
			}
		}
	})
}
