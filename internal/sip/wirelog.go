package sip

import (
	"context"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// wireLog is the logger sipgo's transport and transaction layers write to. Strangers decide
// much of what they say: sipgo logs every message it cannot parse whole at ERROR, without
// saying where it came from, so two hundred 60 KB packets of garbage made 7 MB of log. Here
// such a message becomes one WARN line — where it came from, how long it was, how it began —
// at most a few a second per source (logBudget); every other line sipgo writes at WARN or
// above is budgeted by its text, and every value is cut short. A connection that times out or
// is reset is not an error of ours: DEBUG.
//
// sipgo does not name the source when it fails to parse, so the transport's read filter notes
// each read (its transport, source and a fingerprint of its bytes) in a small ring, and the
// line is matched to its read by the bytes it quotes.
type wireLog struct {
	inner    *slog.Logger
	counters *counters
	budget   *logBudget

	mu   sync.Mutex
	ring [256]readNote
	next int
}

type readNote struct {
	print             uint64
	transport, source string
}

func newWireLog(inner *slog.Logger, c *counters) *wireLog {
	return &wireLog{inner: inner, counters: c, budget: newLogBudget(3, time.Second)}
}

// logger is the slog.Logger to give sipgo.
func (w *wireLog) logger() *slog.Logger {
	return slog.New(&wireHandler{w: w, inner: w.inner.Handler()})
}

// filter is sipgo's transport read filter: it notes the read and passes the bytes on as they are.
func (w *wireLog) filter(info sip.TransportReadProps, data []byte) ([]byte, error) {
	n := readNote{print: fingerprint(data), transport: info.Transport}
	if info.RemoteAddr != nil {
		n.source = info.RemoteAddr.String()
	}
	w.mu.Lock()
	w.ring[w.next] = n
	w.next = (w.next + 1) % len(w.ring)
	w.mu.Unlock()
	return data, nil
}

// sourceOf finds the read that carried data, newest first.
func (w *wireLog) sourceOf(data string) (transport, source string) {
	p := fingerprint([]byte(data))
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := 1; i <= len(w.ring); i++ {
		n := w.ring[(w.next-i+len(w.ring))%len(w.ring)]
		if n.print == p && n.source != "" {
			return n.transport, n.source
		}
	}
	return "", ""
}

// fingerprint is a read's length and its first and last 64 bytes, hashed: enough to tell the
// reads in flight apart, cheap enough for every packet.
func fingerprint(b []byte) uint64 {
	h := fnv.New64a()
	var l [8]byte
	for i, n := 0, len(b); i < 8; i++ {
		l[i] = byte(n >> (8 * i))
	}
	h.Write(l[:])
	if len(b) <= 128 {
		h.Write(b)
	} else {
		h.Write(b[:64])
		h.Write(b[len(b)-64:])
	}
	return h.Sum64()
}

// wireValueMax is how much of any value sipgo logs is kept.
const wireValueMax = 300

type wireHandler struct {
	w     *wireLog
	inner slog.Handler
}

func (h *wireHandler) Enabled(ctx context.Context, l slog.Level) bool {
	// an ERROR may be said at DEBUG or not at all: decided when its text is seen
	return l >= slog.LevelWarn || h.inner.Enabled(ctx, l)
}

func (h *wireHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &wireHandler{w: h.w, inner: h.inner.WithAttrs(as)}
}

func (h *wireHandler) WithGroup(name string) slog.Handler {
	return &wireHandler{w: h.w, inner: h.inner.WithGroup(name)}
}

func (h *wireHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "failed to parse" {
		return h.malformed(ctx, r)
	}
	level := r.Level
	switch r.Message {
	case "Read error", "connection was closed", "Failed to pong keep alive":
		level = slog.LevelDebug // a connection whose peer went away or was timed out
	}
	if !h.inner.Enabled(ctx, level) {
		return nil
	}
	out := slog.NewRecord(r.Time, level, r.Message, r.PC)
	if level >= slog.LevelWarn {
		ok, dropped := h.w.budget.allow("wire "+r.Message, r.Time)
		if !ok {
			return nil
		}
		if dropped > 0 {
			out.AddAttrs(slog.Int("unlogged_since_last", dropped))
		}
	}
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(shorten(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

// malformed turns sipgo's "failed to parse" into one short line, budgeted per source.
func (h *wireHandler) malformed(ctx context.Context, r slog.Record) error {
	h.w.counters.malformed.Add(1)
	var data, why string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "data":
			data = a.Value.String()
		case "error":
			why = a.Value.String()
		}
		return true
	})
	transport, source := h.w.sourceOf(data)
	key := hostOnly(source)
	ok, dropped := h.w.budget.allow("malformed "+key, r.Time)
	if !ok || !h.inner.Enabled(ctx, slog.LevelWarn) {
		return nil
	}
	out := slog.NewRecord(r.Time, slog.LevelWarn, "sip: malformed message dropped", r.PC)
	out.AddAttrs(slog.String("source", source), slog.String("transport", transport), slog.Int("bytes", len(data)),
		slog.String("error", truncate(why, 160)), slog.String("start", truncate(data, 100)))
	if dropped > 0 {
		out.AddAttrs(slog.Int("unlogged_since_last", dropped))
	}
	return h.inner.Handle(ctx, out)
}

func shorten(a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); len(s) > wireValueMax {
			return slog.String(a.Key, truncate(s, wireValueMax))
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			return slog.String(a.Key, truncate(err.Error(), wireValueMax))
		}
		if s, ok := a.Value.Any().(interface{ String() string }); ok {
			return slog.String(a.Key, truncate(s.String(), wireValueMax))
		}
	}
	return a
}
