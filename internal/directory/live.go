package directory

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"ringdesk/internal/store"
)

// Live holds the current Index and moves every reader to a new one together.
type Live struct {
	st  store.SiteStore
	log *slog.Logger

	reload sync.Mutex // one reload at a time, so subscribers see versions in order
	cur    atomic.Pointer[Index]
	subs   []func(*Index)
}

// Open loads the stored configuration.
func Open(ctx context.Context, st store.SiteStore, log *slog.Logger) (*Live, error) {
	if log == nil {
		log = slog.Default()
	}
	l := &Live{st: st, log: log}
	x, err := l.load(ctx)
	if err != nil {
		return nil, err
	}
	l.cur.Store(x)
	return l, nil
}

// Index is the current configuration.
func (l *Live) Index() *Index { return l.cur.Load() }

// Subscribe calls f with every new Index, in version order, before Reload returns. Subscribe
// while wiring the server, before the first Reload.
func (l *Live) Subscribe(f func(*Index)) {
	l.reload.Lock()
	defer l.reload.Unlock()
	l.subs = append(l.subs, f)
}

func (l *Live) load(ctx context.Context) (*Index, error) {
	v, err := l.st.Version(ctx)
	if err != nil {
		return nil, fmt.Errorf("directory: reading the configuration version: %w", err)
	}
	s, err := l.st.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("directory: loading the configuration: %w", err)
	}
	return New(s, v), nil
}

// Reload makes the stored configuration current if its version moved, and tells the
// subscribers. It is the only way a configuration change reaches the running server.
func (l *Live) Reload(ctx context.Context) (*Index, error) {
	l.reload.Lock()
	defer l.reload.Unlock()
	cur := l.cur.Load()
	v, err := l.st.Version(ctx)
	if err != nil {
		return cur, fmt.Errorf("directory: reading the configuration version: %w", err)
	}
	if v == cur.Version {
		return cur, nil
	}
	x, err := l.load(ctx)
	if err != nil {
		return cur, err
	}
	l.cur.Store(x)
	for _, f := range l.subs {
		f(x)
	}
	l.log.Info("configuration reloaded", "version", x.Version)
	return x, nil
}

// Watch reloads every interval until ctx ends: another process (ringdesk apply, a second
// node on the same PostgreSQL) may change the configuration.
func (l *Live) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, every)
		if _, err := l.Reload(rctx); err != nil && ctx.Err() == nil {
			l.log.Warn("configuration not reloaded", "err", err)
		}
		cancel()
	}
}
