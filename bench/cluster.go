package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver

	"ringdesk/internal/auth"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/store/postgres"
)

// The cluster benchmark (issue 14): Ringdesk nodes on one PostgreSQL behind Kamailio with
// deploy/kamailio/ringdesk.cfg. (1) Call set-up through Kamailio to two nodes, each serving
// one of two services, beside one node serving both, in the same run with the same load: a
// SIPp carrier per service's number at half the rate each. (2) Failover: ten times, kill -9
// the node serving a service and time until a new call on its number is answered by an
// agent through another node.

var clusterDIDs = []string{"0200000101", "0200000102"}

// clusterSite is two services, each with its own number and half the agents; agents accept
// offers by themselves and are 대기 again a second after a call.
func clusterSite(agents int) *site.Site {
	s := &site.Site{Trunks: []site.Trunk{{ID: "carrier", Host: "127.0.0.1", Port: 5999, Allow: []string{"127.0.0.1/32"}}}}
	for i, did := range clusterDIDs {
		s.Services = append(s.Services, site.Service{ID: "s" + strconv.Itoa(i+1), Name: "s" + strconv.Itoa(i+1), CTI: true,
			RecallSeconds: 30, NoAnswer: site.NoAnswerReady, AfterCallSeconds: 1,
			Numbers: []site.Number{{Number: did, Queue: "10" + strconv.Itoa(i+1), Greeting: "none"}},
			Queues:  []site.Queue{{Number: "10" + strconv.Itoa(i+1), Strategy: site.StrategyLongestIdle}}})
	}
	for i := 0; i < agents; i++ {
		svc := i % len(clusterDIDs)
		ext := strconv.Itoa(20000 + i)
		login := "a" + ext
		s.Agents = append(s.Agents, site.Agent{Login: login, Role: site.RoleAgent, Services: []string{s.Services[svc].ID}, Extension: ext,
			Phone: site.PhoneSIP, AutoAccept: true, SIPHA1: auth.SIPHA1(ext, "pw"), SIPHA1SHA256: auth.SIPHA1SHA256(ext, "pw"), PasswordHash: "x"})
		s.Services[svc].Queues[0].Members = append(s.Services[svc].Queues[0].Members, login)
	}
	return s
}

// pgAdmin is the PostgreSQL the benchmark makes its databases on: RINGDESK_TEST_POSTGRES, or
// one started with scripts/postgres-test-server.sh (stopped by the returned function).
func pgAdmin() (string, func(), error) {
	if u := os.Getenv("RINGDESK_TEST_POSTGRES"); u != "" {
		return u, func() {}, nil
	}
	env := append(os.Environ(), "RINGDESK_PG_DIR=/tmp/ringdesk-bench-pg")
	cmd := exec.Command("scripts/postgres-test-server.sh", "start")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return "", nil, fmt.Errorf("no PostgreSQL (set RINGDESK_TEST_POSTGRES or install it): %v", err)
	}
	return strings.TrimSpace(string(out)), func() {
		stop := exec.Command("scripts/postgres-test-server.sh", "stop")
		stop.Env = env
		stop.Run()
	}, nil
}

// clusterDB is one fresh database holding the site and a session per agent.
type clusterDB struct {
	url    string
	db     *sql.DB
	tokens map[string]string
	drop   func()
}

func newClusterDB(admin string, s *site.Site) (*clusterDB, error) {
	adb, err := sql.Open("pgx", admin)
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("ringdesk_bench_%d", rand.Uint32())
	if _, err := adb.Exec("CREATE DATABASE " + name); err != nil {
		adb.Close()
		return nil, err
	}
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	c := &clusterDB{url: u.String(), tokens: map[string]string{}}
	c.drop = func() {
		if c.db != nil {
			c.db.Close()
		}
		adb.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		adb.Close()
	}
	ctx := context.Background()
	st, err := postgres.Open(ctx, c.url)
	if err != nil {
		c.drop()
		return nil, err
	}
	defer st.Close()
	if err := st.Site().Save(ctx, s); err != nil {
		c.drop()
		return nil, err
	}
	err = st.InTx(ctx, func(tx store.Store) error {
		for _, a := range s.Agents {
			tok, hash, _ := auth.NewToken()
			c.tokens[a.Login] = tok
			if err := tx.Sessions().Create(ctx, store.Session{TokenHash: hash, Login: a.Login, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(24 * time.Hour)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		c.drop()
		return nil, err
	}
	if c.db, err = sql.Open("pgx", c.url); err != nil {
		c.drop()
		return nil, err
	}
	return c, nil
}

// owner is the node holding a service's unexpired lease.
func (c *clusterDB) owner(svc string) string {
	var node string
	c.db.QueryRow(`SELECT node FROM service_leases WHERE service = $1 AND expires_at > $2`, svc, time.Now().UnixMicro()).Scan(&node)
	return node
}

// node is one ringdesk serve --node process.
type node struct {
	*proc
	name string
	args []string
}

func startNode(c *clusterDB, name string, rtpLo int) (*node, error) {
	bin, err := ringdeskBinary()
	if err != nil {
		return nil, err
	}
	dir, _ := os.MkdirTemp("", "ringdesk-bench-node")
	p := &proc{dir: dir, tokens: c.tokens, log: &bytes.Buffer{}, done: make(chan struct{})}
	httpPort, sipPort := lowPort(), lowPort()
	p.base = fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	p.sip = fmt.Sprintf("127.0.0.1:%d", sipPort)
	n := &node{proc: p, name: name, args: []string{"serve", "--data", dir, "--db", c.url, "--node", name,
		"--http", fmt.Sprintf("127.0.0.1:%d", httpPort), "--sip", p.sip, "--rtp-ports", fmt.Sprintf("%d-%d", rtpLo, rtpLo+4999),
		"--log-level", "error"}}
	return n, n.launch(bin)
}

func (n *node) launch(bin string) error {
	p := n.proc
	p.done = make(chan struct{})
	p.cmd = exec.Command(bin, n.args...)
	p.cmd.Env = append(os.Environ(), "RINGDESK_ADMIN_PASSWORD=bench-admin-pw", "GOMAXPROCS=2")
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		return err
	}
	done := p.done
	go func() { p.cmd.Wait(); close(done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if res, err := http.Get(p.base + "/api/v1/health"); err == nil {
			res.Body.Close()
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("node %s exited: %s", n.name, p.log.String())
		default:
		}
		if time.Now().After(deadline) {
			p.stop()
			return fmt.Errorf("node %s did not start: %s", n.name, p.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lowPort is a free port below Linux's ephemeral range (32768 and up), where the nodes' SIP
// and HTTP ports and RTP ranges live: the many short-lived sockets of SIPp and the clients
// take ports from the ephemeral range, and one of them once sat on a killed node's SIP port
// when it came back.
func lowPort() int {
	for {
		p := 20000 + rand.IntN(2000)
		if lowPorts[p] {
			continue // handed out already, perhaps not bound yet
		}
		if l, err := net.ListenPacket("udp4", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
			l.Close()
			if t, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
				t.Close()
				lowPorts[p] = true
				return p
			}
		}
	}
}

var lowPorts = map[int]bool{}

func (n *node) kill() {
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
}

// startFront runs Kamailio with the deployment's config in front of the nodes.
func startFront(nodes []*node) (stop func(), addr string, err error) {
	cfg, err := os.ReadFile(filepath.Join("deploy", "kamailio", "ringdesk.cfg"))
	if err != nil {
		return nil, "", err
	}
	dir, _ := os.MkdirTemp("", "ringdesk-bench-front")
	var list strings.Builder
	for _, n := range nodes {
		fmt.Fprintf(&list, "1 sip:%s\n", n.sip)
	}
	os.WriteFile(filepath.Join(dir, "nodes.list"), []byte(list.String()), 0o644)
	addr = fmt.Sprintf("127.0.0.1:%d", freePort())
	// per-call log lines off: at hundreds of calls a second they cost Kamailio more than routing
	c := strings.NewReplacer("@LISTEN@", addr, "@NODES@", filepath.Join(dir, "nodes.list"), "@CARRIER@", "127.0.0.1:9",
		"debug=2", "debug=1").Replace(string(cfg))
	file := filepath.Join(dir, "kamailio.cfg")
	os.WriteFile(file, []byte(c), 0o644)
	run, err := startProcess("kamailio", "-f", file, "-DD", "-E", "-Y", dir, "-m", "256", "-M", "32")
	if err != nil {
		return nil, "", err
	}
	time.Sleep(2 * time.Second) // the dispatcher's first probes
	return func() { run(); os.RemoveAll(dir) }, addr, nil
}

// cluster is nodes on one database behind Kamailio, every agent registered and 대기.
type cluster struct {
	db     *clusterDB
	nodes  []*node
	front  string
	phones *sippRun
	stop   func()
}

func startCluster(admin string, names []string, agents int, uas string) (*cluster, error) {
	s := clusterSite(agents)
	db, err := newClusterDB(admin, s)
	if err != nil {
		return nil, err
	}
	c := &cluster{db: db}
	var stops []func()
	c.stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
		db.drop()
	}
	for i, name := range names {
		n, err := startNode(db, name, 22000+i*5000)
		if err != nil {
			c.stop()
			return nil, err
		}
		c.nodes = append(c.nodes, n)
		stops = append(stops, func() { n.stop(); n.cleanup() })
	}
	// every service served
	deadline := time.Now().Add(30 * time.Second)
	for _, svc := range s.Services {
		for db.owner(svc.ID) == "" {
			if time.Now().After(deadline) {
				c.stop()
				return nil, fmt.Errorf("service %s not served after 30 s", svc.ID)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	stopFront, front, err := startFront(c.nodes)
	if err != nil {
		c.stop()
		return nil, err
	}
	stops = append(stops, stopFront)
	c.front = front
	phonePort := freePort()
	if c.phones, err = startSIPp(time.Hour, "-sf", uas, "-i", "127.0.0.1", "-p", fmt.Sprint(phonePort), "-mi", "127.0.0.1", "-mp", fmt.Sprint(freePort())); err != nil {
		c.stop()
		return nil, err
	}
	stops = append(stops, c.phones.stop)
	// the phones register with one node; the others read the bindings from the database
	if err := registerAll(c.nodes[0].sip, s, fmt.Sprintf("127.0.0.1:%d", phonePort)); err != nil {
		c.stop()
		return nil, err
	}
	time.Sleep(3 * time.Second)
	// logged in through the first node: forwarded to each service's owner
	first := c.nodes[0].proc
	err = parallel(len(s.Agents), 16, func(i int) error {
		a := s.Agents[i]
		if err := first.call(a.Login, "POST", "/api/v1/cti/login", map[string]string{"service": a.Services[0]}); err != nil {
			return err
		}
		return first.call(a.Login, "PUT", "/api/v1/cti/state", map[string]string{"state": "ready"})
	})
	if err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// carry runs the carrier through Kamailio at rate calls a second in all, split over the
// services' numbers, for seconds; ok when SIPp saw no failure and every call was answered by
// an agent (from the call records).
func (c *cluster) carry(uac string, rate, seconds int) step {
	since := time.Now()
	per := rate / len(clusterDIDs)
	st := step{rate: rate, attempted: per * seconds * len(clusterDIDs)}
	var runs []*sippRun
	for _, did := range clusterDIDs {
		r, err := startSIPp(time.Duration(seconds+60)*time.Second, c.front, "-sf", uac, "-s", did, "-i", "127.0.0.1",
			"-p", fmt.Sprint(freePort()), "-r", fmt.Sprint(per), "-m", fmt.Sprint(per*seconds), "-d", "500",
			"-mi", "127.0.0.1", "-mp", fmt.Sprint(freePort()), "-recv_timeout", "10000")
		if err != nil {
			st.detail = err.Error()
			return st
		}
		runs = append(runs, r)
	}
	ok := true
	for _, r := range runs {
		werr := r.wait()
		stats, serr := r.stats()
		r.stop()
		if serr != nil {
			st.detail = serr.Error()
			return st
		}
		st.done += statInt(stats, "SuccessfulCall(C)")
		st.failed += statInt(stats, "FailedCall(C)")
		ok = ok && werr == nil
	}
	time.Sleep(2 * time.Second)
	lat, err := answerTimes(c.db.db, "$1", since)
	if err != nil {
		st.detail = err.Error()
		return st
	}
	st.p50, st.p99 = percentile(lat, 50), percentile(lat, 99)
	st.ok = ok && st.failed == 0 && st.done == st.attempted && len(lat) == st.attempted
	st.detail = fmt.Sprintf("%d of %d calls succeeded, %d failed, %d answered by an agent", st.done, st.attempted, st.failed, len(lat))
	return st
}

// failover kills the owner of s1 and times until a new call on its number is answered by
// an agent through another node; the killed node is started again, and serves nothing.
func (c *cluster) failover(uac string) (time.Duration, string, error) {
	owner := c.db.owner("s1")
	var victim *node
	for _, n := range c.nodes {
		if n.name == owner {
			victim = n
		}
	}
	if victim == nil {
		return 0, "", fmt.Errorf("s1 has no owner")
	}
	killed := time.Now()
	victim.kill()
	for time.Since(killed) < 30*time.Second {
		r, err := startSIPp(20*time.Second, c.front, "-sf", uac, "-s", clusterDIDs[0], "-i", "127.0.0.1",
			"-p", fmt.Sprint(freePort()), "-m", "1", "-d", "200", "-mi", "127.0.0.1", "-mp", fmt.Sprint(freePort()),
			"-recv_timeout", "3000")
		if err != nil {
			return 0, "", err
		}
		werr := r.wait()
		r.stop()
		if werr == nil {
			break
		}
	}
	var answered sql.NullInt64
	c.db.db.QueryRow(`SELECT MIN(answered_at) FROM calls WHERE service = 's1' AND started_at >= $1 AND answered_at IS NOT NULL`,
		killed.UnixMicro()).Scan(&answered)
	if !answered.Valid {
		return 0, "", fmt.Errorf("no call on s1 answered by an agent within 30 s of killing %s", owner)
	}
	took := time.UnixMicro(answered.Int64).Sub(killed)
	after := c.db.owner("s1")
	bin, _ := ringdeskBinary()
	// its ports are its own again, unless a short-lived SIPp of the retries took one in the
	// meantime (they pick free ports from the same range): then once it has gone
	for attempt := 0; ; attempt++ {
		err := victim.launch(bin)
		if err == nil {
			break
		}
		if attempt == 4 || !strings.Contains(err.Error(), "already in use") {
			return 0, "", err
		}
		victim.log.Reset()
		time.Sleep(time.Second)
	}
	// past the returning node's start-up grace and a few beats, and the agents' wrap-up:
	// the next kill measures a settled cluster
	time.Sleep(8 * time.Second)
	if o := c.db.owner("s1"); o != after {
		return 0, "", fmt.Errorf("s1 moved from %s to %s when %s came back", after, o, owner)
	}
	return took, fmt.Sprintf("%s → %s %.1f s", owner, after, took.Seconds()), nil
}

func benchCluster(o opts) (*result, error) {
	rates := []int{100, 200, 400, 600, 800, 1000}
	// enough agents that they are never the limit: 0.5 s calls and 1 s of wrap-up each
	seconds, agents, kills := 6, 2000, 10
	if o.quick {
		rates, seconds, agents, kills = []int{50, 100}, 3, 100, 2
	}
	if r, err := envInts("BENCH_RATES", rates); err != nil {
		return nil, err
	} else {
		rates = r
	}
	res := &result{name: "cluster", title: "Cluster: call set-up through Kamailio to two nodes vs one, and failover",
		command: "go run ./bench -only cluster",
		target:  "two nodes carry at least one node's rate; a new call reaches an agent within 10 s of a kill -9, every time"}
	admin, stopPG, err := pgAdmin()
	if err != nil {
		return nil, err
	}
	defer stopPG()
	uac, err := scenario("trunk_uac.xml", false)
	if err != nil {
		return nil, err
	}
	uas, err := scenario("phone_uas.xml", false)
	if err != nil {
		return nil, err
	}
	var notes []string
	var times []float64
	for run := 0; run < o.runs; run++ {
		var climbs [2]step
		for i, names := range [][]string{{"solo"}, {"n1", "n2"}} {
			c, err := startCluster(admin, names, agents, uas)
			if err != nil {
				return nil, err
			}
			climbs[i] = climb(rates, func(rate int) step {
				st := c.carry(uac, rate, seconds)
				time.Sleep(2 * time.Second) // wrap-up: agents back to 대기
				return st
			})
			if i == 1 && run == 0 {
				// failover on the two-node cluster, after the climb
				var each []string
				for k := 0; k < kills; k++ {
					took, detail, err := c.failover(uac)
					if err != nil {
						c.stop()
						return nil, err
					}
					times = append(times, took.Seconds())
					each = append(each, detail)
				}
				notes = append(notes, "Failover, kill by kill: "+strings.Join(each, "; ")+".")
			}
			c.stop()
		}
		res.add("One node serving both services: highest rate with every call answered", "calls/s", false, float64(climbs[0].rate))
		res.add("Two nodes, one service each: highest rate with every call answered", "calls/s", false, float64(climbs[1].rate))
		res.add("Two nodes: DID → agent answered, p50 at their highest rate", "ms", false, ms(climbs[1].p50))
		res.add("Two nodes: DID → agent answered, p99 at their highest rate", "ms", false, ms(climbs[1].p99))
		notes = append(notes, fmt.Sprintf("Run %d: one node %s; two nodes %s.", run+1, climbs[0].detail, climbs[1].detail))
	}
	sort.Float64s(times)
	for _, t := range times {
		res.add("Failover: kill -9 of a service's node → a new call on its number answered by an agent", "s", false, t)
	}
	one, two := res.value("One node serving both services: highest rate with every call answered"), res.value("Two nodes, one service each: highest rate with every call answered")
	worst := 0.0
	if len(times) > 0 {
		worst = times[len(times)-1]
	}
	res.verdict = verdict(two >= one && worst > 0 && worst <= 10,
		fmt.Sprintf("two nodes %.0f calls/s, one node %.0f; failover worst %.1f s of %d kills", two, one, worst, len(times)))
	res.notes = append(res.notes, fmt.Sprintf("Everything on this machine: PostgreSQL, Kamailio (deploy/kamailio/ringdesk.cfg, per-call logging off), the nodes, SIPp as carrier and as %d agents' phones (registered once, read by every node from the database). The carrier calls both services' numbers at half the rate each, through Kamailio, which sends each number by hash to a node and follows a 302 to the owner. Each rate runs %d s; it passes when SIPp saw no failure and every call was answered by an agent (call records). Rates tried: %v. The failover rows are one per kill (the runs column counts kills): the time from SIGKILL of the node serving s1 to the answer of the first new call on its number, the carrier retrying one call at a time; the killed node is started again (it serves nothing) and the next kill hits whichever node then serves s1.", agents, seconds, rates))
	res.notes = append(res.notes, notes...)
	return res, nil
}
