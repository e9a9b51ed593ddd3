package media

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// BenchmarkBridgedCalls runs many bridged calls with RTP both ways at 50 packets a second,
// as phones send it, and measures what the phones get back: loss, and the delay the bridge
// adds (each packet carries its send time). The phones run in a child process on a few
// sockets, so the CPU figure is the server's alone — but they share the machine's cores.
// MEDIA_CALLS sets the number of calls (default 500):
//
//	MEDIA_CALLS=2000 go test -run X -bench BridgedCalls -benchtime 1x ./internal/media
func BenchmarkBridgedCalls(b *testing.B) {
	calls := 500
	if v, err := strconv.Atoi(os.Getenv("MEDIA_CALLS")); err == nil && v > 0 {
		calls = v
	}
	const (
		socketsPerSide = 16
		warmup         = time.Second
		measure        = 5 * time.Second
	)
	farm := startPhoneFarm(b, 2*socketsPerSide)
	m := testManager(b, 20000, 20000+4*calls+10)
	mem0 := memInUse()
	var sessions []*Session
	for i := range calls {
		a := benchSession(b, m, farm.addrs[i%socketsPerSide], PCMU)
		c := benchSession(b, m, farm.addrs[socketsPerSide+i%socketsPerSide], PCMU)
		m.Bridge(a, c)
		sessions = append(sessions, a, c)
		fmt.Fprintf(farm.in, "%d %s\n%d %s\n", i%socketsPerSide, a.LocalAddr(), socketsPerSide+i%socketsPerSide, c.LocalAddr())
	}
	perCall := (memInUse() - mem0) / uint64(calls)
	lost := func() (n uint64) {
		for _, s := range sessions {
			n += s.Stats().Lost
		}
		return n
	}
	b.ResetTimer()
	for range b.N {
		fmt.Fprintf(farm.in, "go %d %d\n", warmup, measure)
		time.Sleep(warmup)
		cpu0, lost0 := cpuTime(), lost()
		time.Sleep(measure)
		cpu, lostIn := cpuTime()-cpu0, lost()-lost0
		var sent, got, p50, p99, max int64
		line, err := farm.out.ReadString('\n')
		if _, err2 := fmt.Sscan(line, &sent, &got, &p50, &p99, &max); err != nil || err2 != nil {
			b.Fatalf("the phones said %q (%v %v)", line, err, err2)
		}
		loss := 100 * (1 - float64(got)/float64(sent))
		b.ReportMetric(loss, "%loss")
		b.ReportMetric(float64(p50)/1e3, "p50-µs")
		b.ReportMetric(float64(p99)/1e3, "p99-µs")
		b.ReportMetric(float64(cpu)/float64(measure)*100, "%cpu")
		b.ReportMetric(float64(perCall), "B/call")
		b.Logf("%d calls, %d KB of heap and stacks each: the phones sent %d packets in %v and got %d back (%.3f%% lost; the sessions counted %d lost on the way in); delay through the server p50 %v p99 %v max %v; server CPU %.0f%% of one core",
			calls, perCall/1024, sent, measure, got, loss, lostIn, time.Duration(p50), time.Duration(p99), time.Duration(max), float64(cpu)/float64(measure)*100)
	}
}

// phoneFarmProcess is the child process running the phones.
type phoneFarmProcess struct {
	addrs []netip.AddrPort
	in    io.Writer // the child's stdin, a pipe: every line arrives as written
	out   *bufio.Reader
}

func startPhoneFarm(b *testing.B, sockets int) *phoneFarmProcess {
	cmd := exec.Command(os.Args[0], "-test.run=^TestPhoneFarm$")
	cmd.Env = append(os.Environ(), "MEDIA_PHONE_FARM="+strconv.Itoa(sockets))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	f := &phoneFarmProcess{in: stdin, out: bufio.NewReader(stdout)}
	for len(f.addrs) < sockets {
		line, err := f.out.ReadString('\n')
		if err != nil {
			b.Fatalf("phone farm: %v", err)
		}
		if a, err := netip.ParseAddrPort(strings.TrimSpace(line)); err == nil {
			f.addrs = append(f.addrs, a)
		}
	}
	return f
}

// TestPhoneFarm is the phones of BenchmarkBridgedCalls when run as its child process: it
// prints its sockets' addresses, reads "socket address" lines (one per phone) and then
// "go WARMUP MEASURE", sends and listens, and prints "sent got p50 p99 max" (nanoseconds)
// for the packets sent in the measured window.
func TestPhoneFarm(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv("MEDIA_PHONE_FARM"))
	if err != nil {
		t.Skip("the phones of BenchmarkBridgedCalls, run as its child process")
	}
	f := &phoneFarm{epoch: time.Now()}
	for range n {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		c.SetReadBuffer(4 << 20)
		c.SetWriteBuffer(4 << 20)
		f.conns = append(f.conns, c)
		fmt.Println(c.LocalAddr())
		go f.read(c)
	}
	var legs []farLeg
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var from int
		var to, cmd string
		fmt.Sscan(in.Text(), &cmd)
		if cmd == "go" {
			var warmup, measure time.Duration
			fmt.Sscan(in.Text(), &cmd, &warmup, &measure)
			start := time.Since(f.epoch) + warmup
			f.from.Store(int64(start))
			f.until.Store(int64(start + measure))
			stop := make(chan struct{})
			var wg sync.WaitGroup
			senders := runtime.GOMAXPROCS(0)
			for k := range senders {
				part := legs[k*len(legs)/senders : (k+1)*len(legs)/senders]
				wg.Add(1)
				go func() { defer wg.Done(); f.send(part, stop) }()
			}
			time.Sleep(warmup + measure)
			close(stop)
			wg.Wait()
			time.Sleep(200 * time.Millisecond)
			p50, p99, max := f.percentiles()
			fmt.Println(f.sent.Load(), f.got.Load(), int64(p50), int64(p99), int64(max))
			f.reset()
			continue
		}
		if _, err := fmt.Sscan(in.Text(), &from, &to); err == nil {
			legs = append(legs, farLeg{from: from, to: netip.MustParseAddrPort(to), ssrc: uint32(len(legs))})
		}
	}
}

// farLeg is one phone: which farm socket it sends from, where to, its stream.
type farLeg struct {
	from int
	to   netip.AddrPort
	ssrc uint32
	seq  uint16
	ts   uint32
}

// phoneFarm is many phones on a few sockets. Every packet carries its send time in its first
// eight payload bytes; the readers histogram the delay of what comes back. Only packets sent
// between from and until count.
type phoneFarm struct {
	conns       []*net.UDPConn
	epoch       time.Time
	from, until atomic.Int64
	sent, got   atomic.Uint64
	mu          sync.Mutex
	hist        [4000]uint64 // 25 µs buckets up to 100 ms
}

const farmBucket = 25 * time.Microsecond

func (f *phoneFarm) counts(sentAt time.Duration) bool {
	return int64(sentAt) >= f.from.Load() && int64(sentAt) < f.until.Load()
}

func (f *phoneFarm) read(c *net.UDPConn) {
	buf := make([]byte, 1500)
	local := make([]uint64, len(f.hist))
	flush := time.Now()
	for {
		n, _, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if n < rtpHeaderLen+8 {
			continue
		}
		at := time.Duration(binary.BigEndian.Uint64(buf[rtpHeaderLen:]))
		if f.counts(at) {
			d := time.Since(f.epoch) - at
			local[min(int(d/farmBucket), len(local)-1)]++
			f.got.Add(1)
		}
		if time.Since(flush) > 20*time.Millisecond {
			f.mu.Lock()
			for i, v := range local {
				f.hist[i] += v
				local[i] = 0
			}
			f.mu.Unlock()
			flush = time.Now()
		}
	}
}

func (f *phoneFarm) reset() {
	f.mu.Lock()
	f.hist = [len(f.hist)]uint64{}
	f.mu.Unlock()
	f.got.Store(0)
	f.sent.Store(0)
}

func (f *phoneFarm) percentiles() (p50, p99, max time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var total, seen uint64
	for _, v := range f.hist {
		total += v
	}
	for i, v := range f.hist {
		if v == 0 {
			continue
		}
		at := time.Duration(i+1) * farmBucket
		if seen < total/2 && seen+v >= total/2 {
			p50 = at
		}
		if seen < total*99/100 && seen+v >= total*99/100 {
			p99 = at
		}
		seen += v
		max = at
	}
	return
}

// send paces legs at 20 ms each, spread evenly over the period, until stop.
func (f *phoneFarm) send(legs []farLeg, stop chan struct{}) {
	const slots = 20 // a wake-up a millisecond
	pkt := make([]byte, rtpHeaderLen+160)
	next := time.Now()
	timer := time.NewTimer(time.Hour)
	for round := 0; ; round++ {
		slot := round % slots
		for i := slot; i < len(legs); i += slots {
			l := &legs[i]
			l.seq++
			l.ts += 160
			h := rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: l.seq, Timestamp: l.ts, SSRC: l.ssrc}
			h.MarshalTo(pkt)
			at := time.Since(f.epoch)
			binary.BigEndian.PutUint64(pkt[rtpHeaderLen:], uint64(at))
			if _, err := f.conns[l.from].WriteToUDPAddrPort(pkt, l.to); err == nil && f.counts(at) {
				f.sent.Add(1)
			}
		}
		next = next.Add(framePeriod / slots)
		timer.Reset(time.Until(next))
		select {
		case <-stop:
			return
		case <-timer.C:
		}
	}
}

// memInUse is the heap and goroutine stacks in use, after a collection.
func memInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse + ms.StackInuse
}
