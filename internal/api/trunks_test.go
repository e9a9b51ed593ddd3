package api

import (
	"encoding/json"
	"testing"
	"time"
)

// trunkHealth is a fixed answer to TrunkHealth, as the SIP layer's probes would give.
type trunkHealth map[string]TrunkHealth

func (h trunkHealth) TrunkHealth() map[string]TrunkHealth { return h }

// TestTrunksShowHealth: GET /api/v1/trunks shows each trunk's status, the time of its last
// answer and its round trip, as the SIP layer's probes found them; null where it never
// answered.
func TestTrunksShowHealth(t *testing.T) {
	e := newEnv(t)
	e.stop()
	answered := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)
	e.trunks = trunkHealth{"carrier": {Up: false, LastAnswer: answered, RTT: 1500 * time.Microsecond}}
	e.start()
	root := e.login("root")
	root.must("PUT", "/api/v1/trunks/backup", map[string]any{"host": "10.0.0.2", "prefix": "8"}, 201, nil)
	var got struct{ Trunks []json.RawMessage }
	root.must("GET", "/api/v1/trunks", nil, 200, &got)
	if len(got.Trunks) != 2 {
		t.Fatalf("trunks %s", got.Trunks)
	}
	var carrier, backup map[string]any
	json.Unmarshal(got.Trunks[0], &carrier)
	json.Unmarshal(got.Trunks[1], &backup)
	if carrier["id"] != "carrier" || carrier["status"] != "down" || carrier["last_answer"] != "2026-11-24T09:30:00Z" ||
		carrier["rtt_ms"] != 1.5 || carrier["password"] != nil {
		t.Errorf("carrier: %s", got.Trunks[0])
	}
	// a trunk the probes know nothing of yet shows its settings alone
	if backup["id"] != "backup" || backup["status"] != nil || backup["last_answer"] != nil {
		t.Errorf("backup: %s", got.Trunks[1])
	}
}

// TestTrunkOutboundProxyAndTransport: a trunk's outbound proxy and transport go through the
// admin API as they are, and a transport the SIP layer cannot speak is refused with a plain
// problem, the stored trunk unchanged. Fails before issue 15 (the fields did not exist: an
// unknown field was refused).
func TestTrunkOutboundProxyAndTransport(t *testing.T) {
	e := newEnv(t)
	root := e.login("root")
	root.must("PUT", "/api/v1/trunks/sbc", map[string]any{"host": "core.carrier.example", "prefix": "8",
		"outbound_proxy": "sbc.carrier.example:5070", "transport": "tcp"}, 201, nil)
	var got struct {
		Trunks []struct {
			ID            string `json:"id"`
			OutboundProxy string `json:"outbound_proxy"`
			Transport     string `json:"transport"`
		}
	}
	root.must("GET", "/api/v1/trunks", nil, 200, &got)
	if n := len(got.Trunks); n != 2 || got.Trunks[1].OutboundProxy != "sbc.carrier.example:5070" || got.Trunks[1].Transport != "tcp" {
		t.Fatalf("trunks %+v", got.Trunks)
	}
	root.fails("PUT", "/api/v1/trunks/sbc", map[string]any{"host": "core.carrier.example", "prefix": "8",
		"transport": "sctp"}, 422, "invalid_config")
	root.must("GET", "/api/v1/trunks", nil, 200, &got)
	if got.Trunks[1].Transport != "tcp" {
		t.Fatalf("a refused change was kept: %+v", got.Trunks[1])
	}
}
