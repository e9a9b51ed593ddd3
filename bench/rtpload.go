package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// end is one side of an RTP stream pair in the load generator: a socket that sends 20 ms
// G.711 packets to dst and counts what it receives (loss by sequence, RFC 3550 jitter).
type end struct {
	conn *net.UDPConn
	dst  netip.AddrPort
	pt   uint8
	ssrc uint32
	seq  uint16
	ts   uint32
	sent atomic.Uint64

	mu       sync.Mutex
	received uint64
	haveSeq  bool
	firstSeq uint16
	maxSeq   uint16
	cycles   int
	transit  float64
	jitter   float64 // ms
}

func newEnd() (*end, error) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	c.SetReadBuffer(1 << 20)
	e := &end{conn: c, ssrc: rand.Uint32(), seq: uint16(rand.Uint32()), ts: rand.Uint32()}
	go e.read()
	return e, nil
}

func (e *end) port() int { return e.conn.LocalAddr().(*net.UDPAddr).Port }

func (e *end) read() {
	buf := make([]byte, 1500)
	for {
		n, err := e.conn.Read(buf)
		if err != nil {
			return
		}
		if n < 12 {
			continue
		}
		if n == 12+160 && buf[12] == 0xFF && buf[n-1] == 0xFF {
			continue // a relay's own silence (Ringdesk's filler when a stream pauses), not ours
		}
		now := float64(time.Now().UnixNano()) / 1e6
		seq := binary.BigEndian.Uint16(buf[2:])
		ts := binary.BigEndian.Uint32(buf[4:])
		e.mu.Lock()
		e.received++
		if !e.haveSeq {
			e.haveSeq, e.firstSeq, e.maxSeq = true, seq, seq
			e.transit = now - float64(ts)/8
		} else {
			if d := seq - e.maxSeq; d > 0 && d < 0x8000 {
				if seq < e.maxSeq {
					e.cycles++
				}
				e.maxSeq = seq
			}
			transit := now - float64(ts)/8
			d := math.Abs(transit - e.transit)
			e.transit = transit
			if d < 1000 {
				e.jitter += (d - e.jitter) / 16
			}
		}
		e.mu.Unlock()
	}
}

// expected is how many packets the far side numbered.
func (e *end) expected() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.haveSeq {
		return 0
	}
	return uint64(e.cycles)*65536 + uint64(e.maxSeq-e.firstSeq) + 1
}

func (e *end) stats() (received uint64, jitter float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.received, e.jitter
}

func (e *end) close() { e.conn.Close() }

// reset starts counting afresh (after a warm-up, so that set-up effects are not counted).
func (e *end) reset() {
	e.sent.Store(0)
	e.mu.Lock()
	e.received, e.haveSeq, e.cycles, e.jitter = 0, false, 0, 0
	e.mu.Unlock()
}

// pacer sends a packet on every end every 20 ms from a few goroutines on absolute deadlines.
func pace(ends []*end, d time.Duration) {
	const shards = 2
	var wg sync.WaitGroup
	payload := make([]byte, 160)
	for i := range payload {
		payload[i] = 0xD5 ^ byte(i%16) // an audible-ish pattern; the content does not matter
	}
	stop := time.Now().Add(d)
	for s := 0; s < shards; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			buf := make([]byte, 12+160)
			next := time.Now()
			for time.Now().Before(stop) {
				for i := s; i < len(ends); i += shards {
					e := ends[i]
					e.seq++
					e.ts += 160
					buf[0], buf[1] = 0x80, e.pt
					binary.BigEndian.PutUint16(buf[2:], e.seq)
					binary.BigEndian.PutUint32(buf[4:], e.ts)
					binary.BigEndian.PutUint32(buf[8:], e.ssrc)
					copy(buf[12:], payload)
					if _, err := e.conn.WriteToUDPAddrPort(buf, e.dst); err == nil {
						e.sent.Add(1)
					}
				}
				next = next.Add(20 * time.Millisecond)
				if w := time.Until(next); w > 0 {
					time.Sleep(w)
				}
			}
		}(s)
	}
	wg.Wait()
}

// measure runs traffic on the pairs for d and reports the loss (fraction of packets sent
// that were not received) and the p99 over streams of the receivers' jitter.
func measure(pairs [][2]*end, d time.Duration) (loss float64, jitterP99 float64, sent uint64) {
	var ends []*end
	for _, p := range pairs {
		ends = append(ends, p[0], p[1])
	}
	// a second of warm-up: the first packets of a call race its bridging, and that is set-up,
	// not relaying
	pace(ends, time.Second)
	for _, e := range ends {
		e.reset()
	}
	pace(ends, d)
	time.Sleep(500 * time.Millisecond) // in flight
	var got uint64
	var jit []float64
	for _, p := range pairs {
		for k := 0; k < 2; k++ {
			sent += p[k].sent.Load()
			r, j := p[1-k].stats()
			got += r
			jit = append(jit, j)
		}
	}
	if sent == 0 {
		return 1, 0, 0
	}
	loss = 1 - float64(got)/float64(sent)
	if loss < 0 {
		loss = 0 // a duplicate or two
	}
	durs := make([]time.Duration, len(jit))
	for i, j := range jit {
		durs[i] = time.Duration(j * float64(time.Millisecond))
	}
	return loss, ms(percentile(durs, 99)), sent
}

// measureCPU runs traffic on the pairs for d after a second of warm-up and returns the CPU
// time (user and system, from /proc) the process pid spent per 1,000 packets the generator
// received back through it, in milliseconds.
func measureCPU(pairs [][2]*end, d time.Duration, pid int) (float64, string, error) {
	var ends []*end
	for _, p := range pairs {
		ends = append(ends, p[0], p[1])
	}
	pace(ends, time.Second)
	for _, e := range ends {
		e.reset()
	}
	cpu0, err := processCPU(pid)
	if err != nil {
		return 0, "", err
	}
	pace(ends, d)
	// what is in flight arrives within milliseconds; waiting longer would count the relay's
	// silence frames (after 60 ms without a packet) in its CPU time
	time.Sleep(40 * time.Millisecond)
	cpu1, err := processCPU(pid)
	if err != nil {
		return 0, "", err
	}
	var got, sent uint64
	for _, e := range ends {
		r, _ := e.stats()
		got += r
		sent += e.sent.Load()
	}
	if got == 0 {
		return 0, "", fmt.Errorf("no packet came back through the relay")
	}
	used := cpu1 - cpu0
	per := ms(used) / (float64(got) / 1000)
	return per, fmt.Sprintf("%.2f s for %d of %d packets in %v (%.0f %% of a core)", used.Seconds(), got, sent, d, 100*used.Seconds()/d.Seconds()), nil
}

// processCPU is the user and system time a process has used, from /proc/PID/stat (fields 14
// and 15, in clock ticks).
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// the command name (field 2) is in parentheses and may hold spaces: count after it
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, s)
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, s)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks(), nil
}

var clockTicks = sync.OnceValue(func() time.Duration {
	if out, err := exec.Command("getconf", "CLK_TCK").Output(); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && n > 0 {
			return time.Duration(n)
		}
	}
	return 100 // what Linux uses almost everywhere
})
