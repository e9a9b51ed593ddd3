package server

import (
	"net/http"
	"time"
)

// writeStall is how long a response may go without the client taking any of it. A fixed
// http.Server.WriteTimeout would bound the whole response instead, cutting a long download on
// a slow line; and it would not touch the client that reads nothing at all any sooner. Event
// sockets are not affected: net/http lifts a connection's deadlines when it is hijacked.
const writeStall = 30 * time.Second

// writeProgress gives every response a write deadline that moves with each piece written:
// stall is how long the client may take none of it.
func writeProgress(next http.Handler, stall time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(time.Now().Add(stall))
		next.ServeHTTP(&progressWriter{ResponseWriter: w, rc: rc, stall: stall}, r)
	})
}

type progressWriter struct {
	http.ResponseWriter
	rc    *http.ResponseController
	stall time.Duration
}

// Write sends p in pieces, each with the stall time to go.
func (w *progressWriter) Write(p []byte) (int, error) {
	const piece = 64 << 10
	n := 0
	for len(p) > 0 {
		_ = w.rc.SetWriteDeadline(time.Now().Add(w.stall))
		m, err := w.ResponseWriter.Write(p[:min(len(p), piece)])
		n += m
		if err != nil {
			return n, err
		}
		p = p[m:]
	}
	return n, nil
}

// Unwrap lets http.ResponseController and the WebSocket upgrade reach the connection.
func (w *progressWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush keeps a wrapped writer a Flusher for handlers that ask by type.
func (w *progressWriter) Flush() { _ = w.rc.Flush() }
