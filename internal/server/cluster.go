package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"time"
)

// nodeName is what a node may be called: it goes into call ids and the logs.
var nodeName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// checkNode refuses a node name without a PostgreSQL to share, or one that cannot be used.
func checkNode(node, dbURL string) error {
	if node == "" {
		return nil
	}
	if !strings.HasPrefix(dbURL, "postgres://") && !strings.HasPrefix(dbURL, "postgresql://") {
		return errors.New("--node needs --db postgres://…: the nodes of a cluster share one PostgreSQL; the embedded database serves a single server")
	}
	if !nodeName.MatchString(node) {
		return fmt.Errorf("--node must be 1-32 lower-case letters, digits or '-', starting with a letter or digit (got %q)", node)
	}
	return nil
}

// serviceIDs are the configured services, for the cluster to share out.
func (s *Server) serviceIDs() []string {
	x := s.Directory.Index()
	out := make([]string, 0, len(x.Services))
	for id := range x.Services {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// adopt starts serving a service whose lease the node took.
func (s *Server) adopt(svc string) {
	if err := s.Engine.Adopt(svc); err != nil {
		s.cfg.Logger.Error("cluster: taking a service over failed", "service", svc, "err", err)
	}
}

// registrationsEvery is how soon a phone registered through another node can be rung here.
const registrationsEvery = 2 * time.Second

// followRegistrations reloads the phones' registrations from the database: a phone registers
// with whichever node the proxy in front chose, and any node may need to ring it.
func (s *Server) followRegistrations(ctx context.Context) {
	t := time.NewTicker(registrationsEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.SIP.ReloadBindings(ctx); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Warn("cluster: reloading registrations failed", "err", err)
			}
		}
	}
}

// reachable is a bound address as another node reaches it: the advertised address in place
// of an unspecified host.
func reachable(bound string, adv netip.Addr) string {
	host, port, err := net.SplitHostPort(bound)
	if err != nil {
		return bound
	}
	if ip, err := netip.ParseAddr(host); err != nil || ip.IsUnspecified() {
		host = adv.String()
	}
	return net.JoinHostPort(host, port)
}
