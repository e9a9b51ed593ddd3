package sip

// udpBuffer is the receive and send buffer the SIP UDP socket asks for. SIP over UDP has no
// flow control: a request that arrives while the socket's buffer is full is dropped by the
// kernel, and its sender retransmits only after T1 (500 ms), so a call set up in milliseconds
// takes half a second. The kernel's default (208 KiB) holds about a hundred small datagrams,
// 10 ms of traffic at 1,000 calls/s; 4 MiB (which Linux doubles for its bookkeeping) rides
// out a pause of the reading goroutine a hundred times as long.
const udpBuffer = 4 << 20
