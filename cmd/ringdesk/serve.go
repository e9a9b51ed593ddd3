package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

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
	adv := fs.str("advertise", "", "address phones and carriers reach this server at (default: detected)")
	logFormat := fs.str("log-format", "text", "text or json")
	logLevel := fs.str("log-level", "info", "debug, info, warn or error")
	pprofAddr := fs.str("pprof", "", "serve Go's profiler on this address (e.g. 127.0.0.1:6060); off by default")
	tlsCert := fs.str("tls-cert", "", "certificate chain (PEM): serve HTTPS on --http; with --tls-key")
	tlsKey := fs.str("tls-key", "", "private key (PEM) of --tls-cert")
	proxies := fs.list("trusted-proxy", "reverse proxy (address or CIDR) whose X-Forwarded-For/-Proto are believed")
	if err := fs.parse(args); err != nil {
		return err
	}
	log, err := logger(*logFormat, *logLevel)
	if err != nil {
		return err
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := server.Start(ctx, server.Config{DataDir: *data, DBURL: *db, HTTP: *httpAddr, SIP: *sipAddr, RTPPorts: *rtp,
		Advertise: *adv, Apply: *apply, AdminPassword: os.Getenv("RINGDESK_ADMIN_PASSWORD"), Logger: log, Out: os.Stdout,
		TLSCert: *tlsCert, TLSKey: *tlsKey, TrustedProxies: trusted})
	if err != nil {
		return err
	}
	fmt.Printf("ringdesk %s: console %s  SIP %s\n", version, s.ConsoleURL(), *sipAddr)
	<-ctx.Done()
	log.Info("stopping: ending calls")
	return s.Close()
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
