package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// benchConcurrent: how many bridged calls, each with RTP both ways (50 packets/s each way),
// the server relays with under 0.1 % loss and p99 jitter under 5 ms more than the load
// generator sending to itself; next to rtpengine (userspace) relaying the same streams. And,
// steadier than a capacity on a shared machine, the CPU time each relay spends per 1,000
// packets relayed under one fixed load.
func benchConcurrent(o opts) (*result, error) {
	levels, seconds, cpuLoad, err := rtpLoad(o, []int{250, 500, 750, 1000, 1250, 1500, 2000, 2500})
	if err != nil {
		return nil, err
	}
	res := &result{name: "concurrent", title: "Concurrent bridged calls with RTP both ways",
		command: "go run ./bench -only concurrent",
		target:  "≥ 1.0 × rtpengine's (userspace) capacity within the same loss and jitter bounds, in the same run (issue 10); the server's CPU per 1,000 relayed packets beside rtpengine's"}
	cpuRD := fmt.Sprintf("Ringdesk: server CPU time per 1,000 relayed packets at %d calls", cpuLoad)
	cpuRE := fmt.Sprintf("rtpengine (userspace): CPU time per 1,000 relayed packets at %d calls", cpuLoad)
	var notes []string
	for run := 0; run < o.runs; run++ {
		base := baselineJitters(levels, seconds)
		rtpe, rdetail := climbLevels(levels, func(n int) (bool, string) { return rtpengineLevel(n, seconds, base[n]) })
		ecpu, ecpuDetail, err := rtpengineCPU(cpuLoad, seconds)
		if err != nil {
			return nil, err
		}
		rd, ddetail, rcpu, rcpuDetail, err := ringdeskConcurrent(levels, seconds, base, cpuLoad, run == 0)
		if err != nil {
			return nil, err
		}
		res.add("Ringdesk: most calls within the loss and jitter bounds", "calls", false, float64(rd))
		res.add("rtpengine (userspace): most calls within the same bounds", "calls", true, float64(rtpe))
		res.add(cpuRD, "ms", false, rcpu)
		res.add(cpuRE, "ms", true, ecpu)
		res.add(fmt.Sprintf("load generator to itself at %d calls, p99 jitter (the floor)", levels[len(levels)-1]), "ms", true, base[levels[len(levels)-1]])
		notes = append(notes, fmt.Sprintf("Run %d — Ringdesk: %s; CPU %s. rtpengine: %s; CPU %s.", run+1, ddetail, rcpuDetail, rdetail, ecpuDetail))
	}
	r, e := res.value("Ringdesk: most calls within the loss and jitter bounds"), res.value("rtpengine (userspace): most calls within the same bounds")
	ratio := 0.0
	if e > 0 {
		ratio = r / e
	}
	rc, ec := res.value(cpuRD), res.value(cpuRE)
	res.verdict = verdict(ratio >= 1.0, fmt.Sprintf("%.0f calls, %.2f × rtpengine's %.0f; %.3f ms of CPU per 1,000 packets, %.2f × rtpengine's %.3f", r, ratio, e, rc, rc/ec, ec))
	res.notes = append(res.notes, fmt.Sprintf("Levels tried: %v, %d s of traffic each; the generator, the relay under test and SIP all share the machine's cores. A level passes with loss < 0.1 %% over every stream and the p99 of the streams' RFC 3550 jitter less than 5 ms above the generator's own. 2,000 calls, the older goal, cannot be shown on this machine by either relay: the generator alone is past the jitter bound well before that.", levels, seconds))
	res.notes = append(res.notes, fmt.Sprintf("CPU per 1,000 packets: %d calls (%d packets a second through the relay) for %d s after a second of warm-up, the relay's utime+stime from /proc/PID/stat before and after, divided by the packets the generator received back.", cpuLoad, cpuLoad*100, seconds))
	res.notes = append(res.notes, notes...)
	if profileText != "" {
		res.notes = append(res.notes, fmt.Sprintf("At %d calls, the last level run 1 tried: %s", profiledAt, profileText))
	}
	return res, nil
}

func climbLevels(levels []int, try func(n int) (bool, string)) (int, string) {
	best := 0
	var log []string
	for _, n := range levels {
		ok, detail := try(n)
		log = append(log, fmt.Sprintf("%d: %s", n, detail))
		if !ok {
			break
		}
		best = n
	}
	return best, strings.Join(log, "; ")
}

func judge(loss, jitter, base float64) (bool, string) {
	ok := loss < 0.001 && jitter-base < 5
	return ok, fmt.Sprintf("loss %.3f %%, p99 jitter %.2f ms (generator alone %.2f)", loss*100, jitter, base)
}

// baselineJitter: pairs sending straight to each other.
func baselineJitter(n, seconds int) float64 {
	pairs := makePairs(n)
	defer closePairs(pairs)
	for _, p := range pairs {
		p[0].dst = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(p[1].port()))
		p[1].dst = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(p[0].port()))
	}
	_, j, _ := measure(pairs, time.Duration(seconds)*time.Second)
	return j
}

func makePairs(n int) [][2]*end {
	var out [][2]*end
	for i := 0; i < n; i++ {
		a, err1 := newEnd()
		b, err2 := newEnd()
		if err1 != nil || err2 != nil {
			break
		}
		out = append(out, [2]*end{a, b})
	}
	return out
}

func closePairs(pairs [][2]*end) {
	for _, p := range pairs {
		p[0].close()
		p[1].close()
	}
}

// ---- rtpengine ----

func rtpengineLevel(n, seconds int, base float64) (bool, string) {
	_, pairs, stop, err := rtpengineCalls(n)
	if err != nil {
		return false, err.Error()
	}
	defer stop()
	loss, jit, _ := measure(pairs, time.Duration(seconds)*time.Second)
	return judge(loss, jit, base)
}

// rtpengineCPU is rtpengine's CPU time per 1,000 packets relayed at n calls.
func rtpengineCPU(n, seconds int) (float64, string, error) {
	pid, pairs, stop, err := rtpengineCalls(n)
	if err != nil {
		return 0, "", err
	}
	defer stop()
	per, detail, err := measureCPU(pairs, time.Duration(seconds)*time.Second, pid)
	return per, detail, err
}

// rtpengineCalls starts rtpengine and sets up n calls through it, with a pair of generator
// ends each; stop ends them and it.
func rtpengineCalls(n int) (pid int, pairs [][2]*end, stop func(), err error) {
	ngPort := freePort()
	lo := 30000
	pid, stopEngine, err := startProcessPID("rtpengine", "-f", "-E", "-i", "127.0.0.1", "-n", fmt.Sprintf("127.0.0.1:%d", ngPort),
		"-m", fmt.Sprint(lo), "-M", fmt.Sprint(lo+8*n+1000), "-t", "-1", "--num-threads=2", "-L", "3")
	if err != nil {
		return 0, nil, nil, err
	}
	time.Sleep(time.Second)
	ng, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", ngPort))
	if err != nil {
		stopEngine()
		return 0, nil, nil, err
	}
	pairs = makePairs(n)
	stop = func() { closePairs(pairs); ng.Close(); stopEngine() }
	for i, p := range pairs {
		callID, ft, tt := fmt.Sprintf("bench-%d-%d", n, i), "from"+strconv.Itoa(i), "to"+strconv.Itoa(i)
		offer, err := ngCall(ng, map[string]string{"command": "offer", "call-id": callID, "from-tag": ft, "sdp": string(sdpFor(p[0].port()))})
		if err != nil {
			stop()
			return 0, nil, nil, fmt.Errorf("offer: %w", err)
		}
		answer, err := ngCall(ng, map[string]string{"command": "answer", "call-id": callID, "from-tag": ft, "to-tag": tt, "sdp": string(sdpFor(p[1].port()))})
		if err != nil {
			stop()
			return 0, nil, nil, fmt.Errorf("answer: %w", err)
		}
		if p[1].dst, err = sdpAddr([]byte(offer)); err != nil { // B sends where the offer (rewritten for B) says
			stop()
			return 0, nil, nil, err
		}
		if p[0].dst, err = sdpAddr([]byte(answer)); err != nil {
			stop()
			return 0, nil, nil, err
		}
	}
	return pid, pairs, stop, nil
}

// ngCall sends one bencoded NG command and returns the SDP of the reply.
func ngCall(c net.Conn, args map[string]string) (string, error) {
	cookie := strconv.Itoa(rand.IntN(1 << 30))
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString(cookie + " d")
	for _, k := range keys {
		fmt.Fprintf(&b, "%d:%s%d:%s", len(k), k, len(args[k]), args[k])
	}
	b.WriteString("e")
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(b.Bytes()); err != nil {
		return "", err
	}
	buf := make([]byte, 65536)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return "", err
		}
		reply := string(buf[:n])
		if !strings.HasPrefix(reply, cookie+" ") {
			continue
		}
		if !strings.Contains(reply, "6:result2:ok") {
			return "", fmt.Errorf("rtpengine: %s", reply)
		}
		i := strings.Index(reply, "3:sdp")
		if i < 0 {
			return "", fmt.Errorf("no SDP in %s", reply)
		}
		rest := reply[i+5:]
		j := strings.Index(rest, ":")
		l, _ := strconv.Atoi(rest[:j])
		return rest[j+1 : j+1+l], nil
	}
}

func sdpFor(port int) []byte {
	return []byte(fmt.Sprintf("v=0\r\no=- %d 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n", port, port))
}

var (
	mRe = regexp.MustCompile(`m=audio (\d+)`)
	cRe = regexp.MustCompile(`c=IN IP4 ([0-9.]+)`)
)

func sdpAddr(sdp []byte) (netip.AddrPort, error) {
	m, c := mRe.FindSubmatch(sdp), cRe.FindSubmatch(sdp)
	if m == nil || c == nil {
		return netip.AddrPort{}, fmt.Errorf("no address in SDP: %q", sdp)
	}
	p, _ := strconv.Atoi(string(m[1]))
	ip, err := netip.ParseAddr(string(c[1]))
	return netip.AddrPortFrom(ip, uint16(p)), err
}

// ---- Ringdesk ----

// profiledAt is the load at which the server was last profiled (in the first run every level
// is, so the one kept is where the climb stopped); profileText is what it showed.
var (
	profiledAt  int
	profileText string
)

// ringdeskConcurrent climbs the levels on one server, after measuring its CPU time per 1,000
// packets at cpuLoad calls.
func ringdeskConcurrent(levels []int, seconds int, base map[int]float64, cpuLoad int, profile bool) (best int, detail string, cpu float64, cpuDetail string, err error) {
	agents := max(levels[len(levels)-1], cpuLoad) + 100
	s := benchSite(agents)
	p, err := startRingdesk(s, 20000, 39999)
	if err != nil {
		return 0, "", 0, "", err
	}
	defer func() { p.stop(); p.cleanup() }()
	ph, err := newBenchPhones()
	if err != nil {
		return 0, "", 0, "", err
	}
	defer ph.close()
	if err := registerAll(p.sip, s, ph.addr); err != nil {
		return 0, "", 0, "", err
	}
	if err := p.readyAll(s); err != nil {
		return 0, "", 0, "", err
	}
	pairs := makePairs(cpuLoad)
	calls, err := ph.setUp(p.sip, pairs)
	if err == nil {
		cpu, cpuDetail, err = measureCPU(pairs, time.Duration(seconds)*time.Second, p.pid())
	}
	ph.hangUpAll(calls)
	closePairs(pairs)
	if err != nil {
		return 0, "", 0, "", err
	}
	best, detail = climbLevels(levels, func(n int) (bool, string) {
		pairs := makePairs(n)
		defer closePairs(pairs)
		calls, err := ph.setUp(p.sip, pairs)
		defer ph.hangUpAll(calls)
		if err != nil {
			return false, err.Error()
		}
		var prof chan string
		if profile {
			prof = make(chan string, 1)
			go func() {
				time.Sleep(1500 * time.Millisecond) // past the warm-up
				txt, err := p.profile(time.Duration(seconds-2)*time.Second, "concurrent")
				if err != nil {
					txt = "profile: " + err.Error()
				}
				prof <- txt
			}()
		}
		loss, jit, _ := measure(pairs, time.Duration(seconds)*time.Second)
		if prof != nil {
			profileText, profiledAt = <-prof, n
		}
		ok, d := judge(loss, jit, base[n])
		if m, err := p.metrics(); err == nil {
			d += fmt.Sprintf(", server counted %.0f lost of %.0f received", m["ringdesk_rtp_packets_lost_total"], m["ringdesk_rtp_packets_received_total"])
		}
		return ok, d
	})
	return best, detail, cpu, cpuDetail, nil
}

// benchPhones is the carrier and every agent's phone, on sipgo, with the generator's sockets
// in their SDP.
type benchPhones struct {
	ua   *sipgo.UserAgent
	srv  *sipgo.Server
	cli  *sipgo.Client
	dua  *sipgo.DialogUA
	conn net.PacketConn
	addr string

	mu       sync.Mutex
	waiting  map[string]*end // customer number → the agent-side end to answer with
	answered map[string]chan struct{}
	dialogs  map[string]*sipgo.DialogServerSession
}

func newBenchPhones() (*benchPhones, error) {
	b := &benchPhones{waiting: map[string]*end{}, answered: map[string]chan struct{}{}, dialogs: map[string]*sipgo.DialogServerSession{}}
	var err error
	if b.ua, err = sipgo.NewUA(sipgo.WithUserAgent("ringdesk-bench-phones"), sipgo.WithUserAgentHostname("127.0.0.1")); err != nil {
		return nil, err
	}
	if b.conn, err = net.ListenPacket("udp4", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	b.addr = b.conn.LocalAddr().String()
	port := b.conn.LocalAddr().(*net.UDPAddr).Port
	b.srv, _ = sipgo.NewServer(b.ua)
	b.cli, _ = sipgo.NewClient(b.ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(port), sipgo.WithClientConnectionAddr(b.addr))
	b.dua = &sipgo.DialogUA{Client: b.cli, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "bench", Host: "127.0.0.1", Port: port}}}
	b.srv.OnInvite(b.onInvite)
	b.srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		id, _ := sip.DialogIDFromRequestUAS(req)
		b.mu.Lock()
		d := b.dialogs[id]
		b.mu.Unlock()
		if d != nil {
			d.ReadAck(req, tx)
		}
	})
	b.srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	go b.srv.ServeUDP(b.conn)
	for i := 0; i < 1000; i++ {
		if c, err := b.ua.TransportLayer().GetConnection("udp", b.addr); err == nil && c != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	return b, nil
}

func (b *benchPhones) close() {
	b.conn.Close()
	b.ua.Close()
}

// onInvite is an agent's phone ringing: it answers with the end waiting for that customer.
func (b *benchPhones) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	who := req.From().Address.User
	b.mu.Lock()
	e := b.waiting[who]
	done := b.answered[who]
	b.mu.Unlock()
	if e == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 486, "Busy", nil))
		return
	}
	dst, err := sdpAddr(req.Body())
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable", nil))
		return
	}
	e.dst = dst
	d, err := b.dua.ReadInvite(req, tx)
	if err != nil {
		return
	}
	b.mu.Lock()
	b.dialogs[d.ID] = d
	b.mu.Unlock()
	close(done)
	d.RespondSDP(sdpFor(e.port()))
}

type benchCall struct {
	d *sipgo.DialogClientSession
}

// setUp places a call per pair to the DID (customer end a) and waits until each agent's phone
// has answered with end b.
func (b *benchPhones) setUp(server string, pairs [][2]*end) ([]*benchCall, error) {
	calls := make([]*benchCall, len(pairs))
	host, portStr, _ := net.SplitHostPort(server)
	port, _ := strconv.Atoi(portStr)
	err := parallel(len(pairs), 64, func(i int) error {
		who := fmt.Sprintf("0108%06d", i)
		done := make(chan struct{})
		b.mu.Lock()
		b.waiting[who] = pairs[i][1]
		b.answered[who] = done
		b.mu.Unlock()
		req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "0200000100", Host: host, Port: port})
		from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: who, Host: "127.0.0.1"}, Params: sip.NewParams()}
		from.Params.Add("tag", sip.GenerateTagN(10))
		req.AppendHeader(from)
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(sdpFor(pairs[i][0].port()))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		d, err := b.dua.WriteInvite(ctx, req)
		if err != nil {
			return err
		}
		if err := d.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
			return fmt.Errorf("call %d: %w", i, err)
		}
		if pairs[i][0].dst, err = sdpAddr(d.InviteResponse.Body()); err != nil {
			return err
		}
		if err := d.Ack(ctx); err != nil {
			return err
		}
		calls[i] = &benchCall{d: d}
		select {
		case <-done:
		case <-ctx.Done():
			return fmt.Errorf("call %d: no agent answered", i)
		}
		return nil
	})
	return calls, err
}

func (b *benchPhones) hangUpAll(calls []*benchCall) {
	parallel(len(calls), 64, func(i int) error {
		if calls[i] != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			calls[i].d.Bye(ctx)
			cancel()
		}
		return nil
	})
	b.mu.Lock()
	b.waiting = map[string]*end{}
	b.answered = map[string]chan struct{}{}
	b.dialogs = map[string]*sipgo.DialogServerSession{}
	b.mu.Unlock()
	time.Sleep(2 * time.Second) // agents wrap up
}

// rtpLoad is what the media benchmarks load the server with: the numbers of concurrent calls
// to climb through (BENCH_LEVELS overrides them), how long each level runs, and the fixed load
// the CPU figures are taken at; smaller with -quick.
func rtpLoad(o opts, levels []int) ([]int, int, int, error) {
	seconds, cpuLoad := 10, 250
	if o.quick {
		levels, seconds, cpuLoad = []int{50, 100, 200}, 4, 50
	}
	levels, err := envInts("BENCH_LEVELS", levels)
	return levels, seconds, cpuLoad, err
}

// baselineJitters is the load generator's own p99 jitter at each level, sending straight to
// itself: the floor that added jitter is measured from.
func baselineJitters(levels []int, seconds int) map[int]float64 {
	base := map[int]float64{}
	for _, n := range levels {
		base[n] = baselineJitter(n, seconds)
	}
	return base
}
