//go:build linux

package sip

import (
	"net"
	"syscall"
)

// sizeUDPBuffers gives a SIP UDP socket udpBuffer each way. Past net.core.rmem_max (wmem_max)
// only a process with CAP_NET_ADMIN gets it (SO_RCVBUFFORCE); others keep the ceiling. It
// returns the receive buffer the kernel granted, as the kernel reports it (doubled).
func sizeUDPBuffers(c net.PacketConn) int {
	uc, ok := c.(*net.UDPConn)
	if !ok {
		return 0
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return 0
	}
	got := 0
	raw.Control(func(fd uintptr) {
		for _, o := range [][2]int{{syscall.SO_RCVBUFFORCE, syscall.SO_RCVBUF}, {syscall.SO_SNDBUFFORCE, syscall.SO_SNDBUF}} {
			if syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, o[0], udpBuffer) != nil {
				_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, o[1], udpBuffer)
			}
		}
		got, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
	})
	return got
}
