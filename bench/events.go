package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"ringdesk/internal/agent"
	"ringdesk/internal/api"
	"ringdesk/internal/auth"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
)

// benchEvents: an agent's state change, received by 1,000 WebSocket clients (supervisors'
// consoles) through the real API server. Latency is from the command to each client's receipt.
func benchEvents(o opts) (*result, error) {
	clients, changes := 1000, 50
	if o.quick {
		clients, changes = 200, 20
	}
	res := &result{name: "events", title: fmt.Sprintf("Events: an agent state change reaches %d WebSocket clients", clients),
		command: "go run ./bench -only events", target: "p99 < 100 ms"}
	for run := 0; run < o.runs; run++ {
		s := routingSite(1)
		s.Agents = append(s.Agents, site.Agent{Login: "boss", Role: site.RoleAdmin, PasswordHash: "x"})
		r, err := newEngineRig(s)
		if err != nil {
			return nil, err
		}
		srv, err := api.New(context.Background(), api.Config{Engine: r.eng, Store: r.st, Bus: r.bus})
		if err != nil {
			return nil, err
		}
		hs := httptest.NewServer(srv)
		token, hash, _ := auth.NewToken()
		r.st.Sessions().Create(context.Background(), store.Session{TokenHash: hash, Login: "boss", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)})
		url := "ws" + strings.TrimPrefix(hs.URL, "http") + "/api/v1/events"
		type got struct {
			seq uint64
			at  time.Time
		}
		recv := make(chan got, clients*changes*2)
		var conns []*websocket.Conn
		var wg sync.WaitGroup
		for i := 0; i < clients; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
			cancel()
			if err != nil {
				return nil, fmt.Errorf("client %d: %w", i, err)
			}
			c.SetReadLimit(1 << 20)
			conns = append(conns, c)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					_, b, err := c.Read(context.Background())
					if err != nil {
						return
					}
					now := time.Now()
					var ev struct {
						Seq  uint64
						Type string
					}
					if json.Unmarshal(b, &ev) == nil && ev.Type == "agent.state" {
						recv <- got{ev.Seq, now}
					}
				}
			}()
		}
		if err := r.eng.Login("a00000", "support"); err != nil {
			return nil, err
		}
		time.Sleep(200 * time.Millisecond)
		for len(recv) > 0 {
			<-recv
		}
		var lat []time.Duration
		states := []agent.State{agent.Ready, agent.Break}
		for i := 0; i < changes; i++ {
			t0 := time.Now()
			if err := r.eng.SetState("a00000", states[i%2], ""); err != nil {
				return nil, err
			}
			deadline := time.After(5 * time.Second)
			for n := 0; n < clients; n++ {
				select {
				case g := <-recv:
					lat = append(lat, g.at.Sub(t0))
				case <-deadline:
					return nil, fmt.Errorf("change %d reached only %d of %d clients in 5 s", i, n, clients)
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		for _, c := range conns {
			c.Close(websocket.StatusNormalClosure, "")
		}
		hs.Close()
		wg.Wait()
		r.close()
		res.add("received by all clients, p50", "ms", false, ms(percentile(lat, 50)))
		res.add("received by all clients, p99", "ms", false, ms(percentile(lat, 99)))
		res.add("received by all clients, max", "ms", false, ms(percentile(lat, 100)))
	}
	p99 := res.value("received by all clients, p99")
	res.verdict = verdict(p99 < 100, fmt.Sprintf("p99 %.1f ms for %d clients", p99, clients))
	res.notes = append(res.notes, "Each event is encoded once and handed to every subscriber without waiting for any; the clients run in the same process as the server, so the figure includes their own reading and decoding.")
	return res, nil
}
