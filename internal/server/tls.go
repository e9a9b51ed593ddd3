package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certificate serves the operator's certificate and picks up a renewed one (certbot, an ACME
// client writing the same files) without a restart: the files are looked at again at most
// once a minute, and a pair that fails to load leaves the last good one in use.
type certificate struct {
	certFile, keyFile string
	log               *slog.Logger
	mu                sync.Mutex
	cert              *tls.Certificate
	stamp             string // the files' sizes and times when cert was loaded
	checked           time.Time
}

// loadCertificate reads the pair once, so that a start with an unusable one fails with a
// message naming the files.
func loadCertificate(certFile, keyFile string, log *slog.Logger) (*certificate, error) {
	c := &certificate{certFile: certFile, keyFile: keyFile, log: log}
	cert, stamp, err := c.load()
	if err != nil {
		return nil, err
	}
	c.cert, c.stamp, c.checked = cert, stamp, time.Now()
	c.warnValidity()
	return c, nil
}

func (c *certificate) load() (*tls.Certificate, string, error) {
	stamp, err := c.stampNow()
	if err != nil {
		return nil, "", err
	}
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return nil, "", fmt.Errorf("cannot use the certificate %s with the key %s (--tls-cert, --tls-key): %w", c.certFile, c.keyFile, err)
	}
	return &cert, stamp, nil
}

func (c *certificate) stampNow() (string, error) {
	var stamp string
	for _, f := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", fmt.Errorf("cannot read %s (--tls-cert, --tls-key): %w", f, err)
		}
		stamp += fmt.Sprintf("%d@%d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return stamp, nil
}

// warnValidity says in the log when browsers are about to refuse the certificate.
func (c *certificate) warnValidity() {
	leaf := c.cert.Leaf
	if leaf == nil {
		return
	}
	now := time.Now()
	switch {
	case now.After(leaf.NotAfter):
		c.log.Error("the TLS certificate has expired: browsers will refuse the console", "file", c.certFile, "not_after", leaf.NotAfter)
	case now.Before(leaf.NotBefore):
		c.log.Error("the TLS certificate is not valid yet", "file", c.certFile, "not_before", leaf.NotBefore)
	case leaf.NotAfter.Sub(now) < 14*24*time.Hour:
		c.log.Warn("the TLS certificate expires soon; renew it (the server picks the new files up by itself)", "file", c.certFile, "not_after", leaf.NotAfter)
	}
}

// get is tls.Config.GetCertificate.
func (c *certificate) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checked) < time.Minute {
		return c.cert, nil
	}
	c.checked = time.Now()
	if stamp, err := c.stampNow(); err != nil || stamp == c.stamp {
		return c.cert, nil
	}
	cert, stamp, err := c.load()
	if err != nil {
		c.log.Error("a changed TLS certificate could not be loaded; still serving the previous one", "err", err)
		return c.cert, nil
	}
	c.cert, c.stamp = cert, stamp
	c.log.Info("loaded the renewed TLS certificate", "file", c.certFile)
	c.warnValidity()
	return c.cert, nil
}
