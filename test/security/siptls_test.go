package security_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"ringdesk/test/e2e/peers"
	"ringdesk/test/proc"
)

// testCA writes a certificate authority and a server certificate for 127.0.0.1 that it
// signed, as an operator's would be: ca.pem for the phones to trust, cert.pem and key.pem for
// the server.
func testCA(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ringdesk test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	caFile, certFile, keyFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return caFile, certFile, keyFile
}

// awaitState polls the agent's console state until it is want.
func awaitState(t *testing.T, s *proc.Server, token, want string) {
	t.Helper()
	c := apiClient(s)
	deadline := time.Now().Add(15 * time.Second)
	for {
		var v struct{ State string }
		r := call(t, c, "GET", s.Base+"/api/v1/cti", nil, bearer(token))
		json.Unmarshal(r.Body, &v)
		if v.State == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent is %q, want %q", v.State, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// An agent's desk phone registers over TLS with a certificate authority it was told to trust,
// takes a customer's call on its TLS connection, and both hear each other: the phone the
// customer's 440 Hz, the customer the phone's 880 Hz. Every SIP message between the server
// and the phone went over TLS.
//
// Fails on today's code (before issue 9): --sips is not a flag, and nothing serves SIP over
// TLS.
func TestSIPOverTLSPhoneCallsWithAudio(t *testing.T) {
	peers.Require(t, "baresip", "sox")
	caFile, certFile, keyFile := testCA(t, t.TempDir())
	carrier := newPeer(t, "127.0.0.1", "")
	s := proc.Start(t, binary, proc.Options{Site: sipSite(carrier.port()), AdminPassword: adminPassword, TLS: true,
		Args: []string{"--tls-cert", certFile, "--tls-key", keyFile}})
	// (the health check can answer before this line is written: CI once read the output
	// a moment too early)
	if !s.WaitOutput("sips="+s.SIPS, 5*time.Second) {
		t.Fatalf("the server does not say it serves SIP over TLS on %s:\n%s", s.SIPS, s.Output())
	}

	agent := peers.StartPhone(t, peers.PhoneConfig{Source: "sine:880", AOR: "sip:1001@" + s.SIPS + ";transport=tls",
		Account: ";auth_pass=" + sipPasswords["1001"] + ";regint=600;answermode=auto;audio_codecs=PCMU",
		Config:  "sip_cafile\t\t" + caFile, Trace: true})
	agent.WaitRegistered(10 * time.Second)
	token := ctiReady(t, s, "kim", "kim-pw")

	customer := peers.StartPhone(t, peers.PhoneConfig{Source: "sine:440", AOR: "sip:01055556666@127.0.0.1",
		Account: ";regint=0;audio_codecs=PCMU"})
	customer.MustDo("dial", "sip:0212345678@"+s.SIP)
	began := customer.Wait("CALL_ESTABLISHED", 0, 10*time.Second).At
	awaitState(t, s, token, "offered")
	if r := call(t, apiClient(s), "POST", s.Base+"/api/v1/cti/offer/accept", nil, bearer(token)); r.Status != 200 {
		t.Fatalf("accept: %s", r)
	}
	awaitState(t, s, token, "on_call")
	agentBegan := agent.Wait("CALL_ESTABLISHED", 0, 10*time.Second).At
	talk := time.Now()
	time.Sleep(4 * time.Second) // the conversation the recordings are measured over
	end := time.Now()
	customer.MustDo("hangup", "")
	agent.Wait("CALL_CLOSED", 0, 10*time.Second)
	time.Sleep(time.Second) // baresip writes its recordings when the call ends

	heard := func(who string, files []string, began time.Time, hz float64) {
		t.Helper()
		if len(files) != 1 {
			t.Fatalf("%s: recordings %v", who, files)
		}
		h := peers.Measure(t, files[0], talk.Sub(began).Seconds()+0.4, end.Sub(talk).Seconds()-0.8)
		if !peers.Near(h.Frequency, hz) || h.RMS < 0.02 {
			t.Errorf("%s heard %.0f Hz at RMS %.3f, want ~%.0f Hz", who, h.Frequency, h.RMS, hz)
		}
	}
	heard("the customer", customer.Recordings(), began, 880)
	heard("the agent's TLS phone", agent.Recordings(), agentBegan, 440)

	// the phone's SIP trace: each message follows a line "TLS from -> to"
	var tls, other []string
	lines := strings.Split(agent.Log(), "\n")
	for i, l := range lines[:max(len(lines)-1, 0)] {
		f := strings.Fields(strings.TrimSpace(l))
		if len(f) != 4 || f[2] != "->" {
			continue
		}
		switch start := strings.TrimSpace(lines[i+1]); f[0] {
		case "TLS":
			tls = append(tls, start)
		case "UDP", "TCP":
			other = append(other, f[0]+" "+start)
		}
	}
	for _, want := range []string{"REGISTER sip:", "INVITE sip:1001", "ACK sip:1001", "BYE sip:1001"} {
		if !slices.ContainsFunc(tls, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("no %s… over TLS in the phone's trace: %q", want, tls)
		}
	}
	if len(other) > 0 {
		t.Errorf("messages to or from the TLS phone not over TLS: %q", other)
	}
}
