//go:build !linux

package sip

import "net"

// sizeUDPBuffers gives a SIP UDP socket udpBuffer each way, as far as the system allows. It
// returns 0: the size granted cannot be read back portably.
func sizeUDPBuffers(c net.PacketConn) int {
	if uc, ok := c.(*net.UDPConn); ok {
		uc.SetReadBuffer(udpBuffer)
		uc.SetWriteBuffer(udpBuffer)
	}
	return 0
}
