package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"ringdesk/internal/provision"
	"ringdesk/internal/server"
	"ringdesk/internal/store/database"
)

func serve(args []string) error {
	fs := newFlags("serve")
	data := fs.str("data", "./ringdesk-data", "directory of the embedded database")
	httpAddr := fs.str("http", "127.0.0.1:8080", "console and API address")
	sipAddr := fs.str("sip", "0.0.0.0:5060", "SIP address (UDP and TCP)")
	rtp := fs.str("rtp-ports", "20000-29999", "RTP port range")
	apply := fs.str("apply", "", "site file to apply before serving")
	db := fs.str("db", "", "postgres:// URL instead of the embedded database")
	adv := fs.str("advertise", "", "address phones, carriers and the other cluster nodes reach this server at (default: detected)")
	node := fs.str("node", "", "this server's name in a cluster of servers sharing --db postgres://… (docs/cluster.md)")
	logFormat := fs.str("log-format", "text", "text or json")
	logLevel := fs.str("log-level", "info", "debug, info, warn or error")
	pprofAddr := fs.str("pprof", "", "serve Go's profiler on this address (e.g. 127.0.0.1:6060); off by default")
	tlsCert := fs.str("tls-cert", "", "certificate chain (PEM): serve HTTPS on --http; with --tls-key")
	tlsKey := fs.str("tls-key", "", "private key (PEM) of --tls-cert")
	sips := fs.str("sips", "", "SIP over TLS address, with --tls-cert (default: the --sip host, port 5061; off: none)")
	sha256Agents := fs.list("sip-digest-sha256", "User-Agent prefixes of phones offered SHA-256 digest ahead of MD5 (* for every phone; default none: MD5 alone)")
	proxies := fs.list("trusted-proxy", "reverse proxy (address or CIDR) whose X-Forwarded-For/-Proto are believed")
	drainFlag := fs.str("drain", "5s", "on SIGINT/SIGTERM, how long ending calls and stopping may take; a second signal stops at once")
	probeFlag := fs.str("trunk-probe", "30s", "how often each trunk is sent OPTIONS to tell whether it is up")
	recDir := fs.str("recordings", "", "folder call recordings are written to (default: recordings/ in --data)")
	bucket := fs.str("recordings-bucket", "", "S3-compatible bucket complete recordings move to: s3://KEY:SECRET@host[:port]/bucket[/prefix][?region=…&insecure=1]")
	if err := fs.parse(args); err != nil {
		return err
	}
	drain, err := positiveDuration("drain", *drainFlag)
	if err != nil {
		return err
	}
	probe, err := positiveDuration("trunk-probe", *probeFlag)
	if err != nil {
		return err
	}
	log, err := logger(*logFormat, *logLevel)
	if err != nil {
		return err
	}
	if *node != "" && !strings.HasPrefix(*db, "postgres://") && !strings.HasPrefix(*db, "postgresql://") {
		return usageError{"serve: --node needs --db postgres://…: the nodes of a cluster share one PostgreSQL; the embedded database serves a single server"}
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return usageError{"serve: --tls-cert and --tls-key go together: give both files or neither"}
	}
	trusted, err := server.ParseProxies(*proxies)
	if err != nil {
		return usageError{"serve: " + err.Error()}
	}
	if *pprofAddr != "" {
		if err := serveProfiler(*pprofAddr); err != nil {
			return err
		}
	}
	tuneGC()
	// Signals are taken before starting, so that one arriving during the start stops the
	// server as soon as it is up rather than killing it half made.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	s, err := server.Start(context.Background(), server.Config{DataDir: *data, DBURL: *db, HTTP: *httpAddr, SIP: *sipAddr,
		RTPPorts: *rtp, Advertise: *adv, Apply: *apply, AdminPassword: os.Getenv("RINGDESK_ADMIN_PASSWORD"), Logger: log,
		Out: os.Stdout, TrunkProbe: probe, TLSCert: *tlsCert, TLSKey: *tlsKey, TrustedProxies: trusted, SIPS: *sips,
		SIPDigestSHA256: splitList(*sha256Agents), Recordings: *recDir, RecordingsBucket: *bucket, Node: *node})
	if err != nil {
		return err
	}
	if a := s.SIP.TLSAddr(); a != "" {
		fmt.Printf("ringdesk %s: console %s  SIP %s  SIP over TLS %s\n", version, s.ConsoleURL(), *sipAddr, a)
	} else {
		fmt.Printf("ringdesk %s: console %s  SIP %s\n", version, s.ConsoleURL(), *sipAddr)
	}
	sig := <-sigs
	log.Info("stopping: no new calls or logins; ending calls", "signal", sig.String(), "drain", drain.String())
	ctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			return err
		}
		log.Info("stopped")
		return nil
	case sig := <-sigs:
		return fmt.Errorf("%s again: stopped at once, without waiting for calls to end", sig)
	case <-time.After(drain + 2*time.Second):
		return fmt.Errorf("did not stop within --drain %s", drain)
	}
}

// splitList flattens a list flag's values, each possibly comma-separated.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
	}
	return out
}

// positiveDuration reads a duration flag such as 5s or 1m30s.
func positiveDuration(name, v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, usageError{fmt.Sprintf("--%s must be a duration such as 5s or 1m (got %q)", name, v)}
	}
	return d, nil
}

func logger(format, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("--log-level: %v", err)}
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, usageError{fmt.Sprintf("--log-format must be text or json (got %q)", format)}
}

func apply(args []string) error {
	fs := newFlags("apply")
	file := fs.String("f", "", "site file (YAML)")
	data := fs.str("data", "./ringdesk-data", "directory of the embedded database")
	db := fs.str("db", "", "postgres:// URL instead of the embedded database")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *file == "" {
		return usageError{"apply: -f FILE is required"}
	}
	ctx := context.Background()
	st, err := database.Open(ctx, *data, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := provision.Apply(ctx, st, *file)
	if err != nil {
		return err
	}
	fmt.Println(rep)
	if rep.Changed() {
		fmt.Println("a running server picks the change up within seconds")
	}
	return nil
}
