package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// dialFrom opens a TCP connection to addr from a loopback source address.
func dialFrom(t *testing.T, source, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer reports whether the other end closed c within wait.
func closedByServer(c net.Conn, wait time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(wait))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// One source holds at most its share of connections; other sources and trusted proxies are
// not held back by it; a connection the server closes gives its place back.
//
// Fails before issue 9: nothing bounded a source's connections (1,000 idle ones were held).
func TestConnectionsPerSourceAreBounded(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := newCapListener(raw, 3, []netip.Prefix{netip.MustParsePrefix("127.0.0.9/32")}, quiet)
	defer ln.Close()
	accepted := make(chan net.Conn, 100)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	addr := raw.Addr().String()
	var server []net.Conn
	for range 3 {
		dialFrom(t, "127.0.0.1", addr)
		server = append(server, <-accepted)
	}
	if !closedByServer(dialFrom(t, "127.0.0.1", addr), 2*time.Second) {
		t.Fatal("a fourth connection from one source was kept")
	}
	dialFrom(t, "127.0.0.2", addr) // another source
	<-accepted
	for range 5 { // a trusted proxy carries many clients
		dialFrom(t, "127.0.0.9", addr)
		<-accepted
	}
	server[0].Close()
	server[0].Close() // closing twice gives back one place
	dialFrom(t, "127.0.0.1", addr)
	select {
	case <-accepted:
	case <-time.After(2 * time.Second):
		t.Fatal("a place given back was not reused")
	}
	if !closedByServer(dialFrom(t, "127.0.0.1", addr), 2*time.Second) {
		t.Fatal("the bound is not held after a place was reused")
	}
}

// A response the client does not read is given up once it stalls; one read slowly but
// steadily is not cut, however long it takes in all.
//
// Fails before issue 9: with no write deadline, a client that read nothing held its response
// (and the handler's goroutine and memory) for as long as it liked.
func TestWritesAreBoundedByProgress(t *testing.T) {
	body := make([]byte, 8<<20) // far more than the socket buffers hold
	done := make(chan error, 4)
	srv := &http.Server{Handler: writeProgress(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := w.Write(body)
		done <- err
	}), 500*time.Millisecond)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	stalled := dialFrom(t, "127.0.0.1", ln.Addr().String())
	io.WriteString(stalled, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("8 MiB were written to a client that read nothing")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the response to a client that reads nothing is still being written")
	}

	steady := dialFrom(t, "127.0.0.1", ln.Addr().String())
	io.WriteString(steady, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	got, buf := 0, make([]byte, 256<<10)
	begin := time.Now()
	for {
		n, err := steady.Read(buf)
		got += n
		if err != nil {
			break
		}
		time.Sleep(20 * time.Millisecond) // a slow line: about 10 MB/s at most
	}
	if err := <-done; err != nil || got < len(body) {
		t.Fatalf("a steady reader got %d bytes in %v: %v", got, time.Since(begin), err)
	}
}

func TestParseProxies(t *testing.T) {
	got, err := ParseProxies([]string{"10.0.0.5", "192.168.1.7/24, ::1", " 2001:db8::/32 "})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.5/32", "192.168.1.0/24", "::1/128", "2001:db8::/32"}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("%d: %s, want %s", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"proxy.example", "10.0.0.0/33", "10.0.0"} {
		if _, err := ParseProxies([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// writeCert writes a self-signed certificate for 127.0.0.1 named cn, valid until notAfter.
func writeCert(t *testing.T, dir, cn string, notAfter time.Time) (string, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	cf, kf := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return cf, kf
}

// A renewed certificate written over the old files is served without a restart; a broken
// pair written meanwhile leaves the last good one in use.
func TestRenewedCertificateIsPickedUp(t *testing.T) {
	dir := t.TempDir()
	cf, kf := writeCert(t, dir, "first", time.Now().Add(time.Hour))
	c, err := loadCertificate(cf, kf, quiet)
	if err != nil {
		t.Fatal(err)
	}
	name := func() string {
		t.Helper()
		cert, err := c.get(&tls.ClientHelloInfo{})
		if err != nil {
			t.Fatal(err)
		}
		return cert.Leaf.Subject.CommonName
	}
	writeCert(t, dir, "renewed", time.Now().Add(90*24*time.Hour))
	if got := name(); got != "first" {
		t.Fatalf("looked again within the minute: %s", got)
	}
	c.checked = time.Now().Add(-time.Minute)
	if got := name(); got != "renewed" {
		t.Fatalf("after a minute: %s, want the renewed certificate", got)
	}
	os.WriteFile(kf, []byte("half written"), 0o600)
	c.checked = time.Now().Add(-time.Minute)
	if got := name(); got != "renewed" {
		t.Fatalf("a broken pair replaced the good one: %s", got)
	}
	if _, err := loadCertificate(cf, filepath.Join(dir, "missing.pem"), quiet); err == nil {
		t.Fatal("a missing key file was accepted")
	}
}

func TestSIPSAddress(t *testing.T) {
	for _, c := range []struct {
		sip, sips string
		certs     bool
		want      string
		err       bool
	}{
		{"0.0.0.0:5060", "", true, "0.0.0.0:5061", false},
		{"127.0.0.1:5070", "", true, "127.0.0.1:5061", false},
		{"0.0.0.0:5060", "0.0.0.0:5081", true, "0.0.0.0:5081", false},
		{"0.0.0.0:5060", "off", true, "", false},
		{"0.0.0.0:5060", "", false, "", false},
		{"0.0.0.0:5060", "0.0.0.0:5061", false, "", true},
		{"0.0.0.0:5060", "5061", true, "", true},
	} {
		got, err := sipsAddr(c.sip, c.sips, c.certs)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("--sip %s --sips %q certs %v: %q, %v", c.sip, c.sips, c.certs, got, err)
		}
	}
}
