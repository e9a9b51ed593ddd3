package sip

import (
	"context"
	"log/slog"

	"github.com/emiago/sipgo/sip"
)

// sipgo counts the references to each TCP or TLS connection: the goroutine reading it, one
// kept for idleness, and one for each transaction or write using it. When the far end closes
// the connection, the reading goroutine hard-closes it (TCPConnection.Close), which sets the
// count to zero although transactions still hold the references they took: the server
// transaction of a request that just came over it (a phone un-REGISTERs and hangs up the
// connection at once), or an INVITE transaction that outlives its 2xx for 64*T1 (RFC 6026).
// Each of those, when it ends, releases its reference with TryClose and takes the count below
// zero, and sipgo says "TCP ref went negative" at WARN — once for every TCP phone that goes
// away. Nothing is wrong on the wire: below zero TryClose neither closes nor reports an
// error, the socket was closed once, and the pool entry was removed by the reading goroutine.
// The accounting is sipgo's and cannot be put right from outside it (even ending the
// transactions when the connection closes, WithTransactionLayerTerminateOnConnClose, does so
// on goroutines that run after the hard close). And the line escapes the logger we give
// sipgo (wireLog): TCPConnection writes to sipgo's package logger, which is slog.Default.
//
// So that package logger is ours: it writes where slog.Default writes at the time, with this
// one line said at DEBUG. It is set once, before any sipgo code runs (SetDefaultLogger is a
// plain variable, not to be changed while sipgo works).
func init() {
	sip.SetDefaultLogger(slog.New(packageLog{}))
}

// refNegative is what sipgo says when a connection's reference count goes below zero.
const refNegative = "TCP ref went negative"

// packageLog is sipgo's package logger: slog.Default's handler, as it is when each line is
// written, with refNegative demoted to DEBUG. with are the WithAttrs and WithGroup calls made
// on it, in order, replayed on that handler.
type packageLog struct {
	with []func(slog.Handler) slog.Handler
}

func (h packageLog) handler() slog.Handler {
	inner := slog.Default().Handler()
	for _, f := range h.with {
		inner = f(inner)
	}
	return inner
}

func (h packageLog) Enabled(ctx context.Context, l slog.Level) bool {
	return slog.Default().Handler().Enabled(ctx, l)
}

func (h packageLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == refNegative && r.Level > slog.LevelDebug {
		if !slog.Default().Handler().Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		out := slog.NewRecord(r.Time, slog.LevelDebug, r.Message, r.PC)
		r.Attrs(func(a slog.Attr) bool { out.AddAttrs(a); return true })
		r = out
	}
	return h.handler().Handle(ctx, r)
}

func (h packageLog) WithAttrs(as []slog.Attr) slog.Handler {
	return h.then(func(in slog.Handler) slog.Handler { return in.WithAttrs(as) })
}

func (h packageLog) WithGroup(name string) slog.Handler {
	return h.then(func(in slog.Handler) slog.Handler { return in.WithGroup(name) })
}

func (h packageLog) then(f func(slog.Handler) slog.Handler) packageLog {
	return packageLog{with: append(append([]func(slog.Handler) slog.Handler(nil), h.with...), f)}
}
