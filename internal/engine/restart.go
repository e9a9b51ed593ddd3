package engine

import (
	"context"
	"errors"
	"fmt"

	"ringdesk/internal/agent"
	"ringdesk/internal/store"
)

// restartNotice is what an agent logged back in after a restart is told.
const restartNotice = "시스템이 다시 시작되어 CTI에 다시 로그인되었습니다. 상태는 기본입니다"

// restore logs back in the agents whose CTI session the previous run left open: each comes
// back at 기본 in the same service, with a notice saying why. What the agent was doing when
// the previous run stopped ends in the state history at the restart. An agent who may no
// longer work that service's phone is not brought back. With only set, just that service's
// agents: in a cluster, as this node takes the service over, and then each comes back in
// the state it was in (resume).
func (e *Engine) restore(ctx context.Context, only string) error {
	open, err := e.store.CTI().List(ctx)
	if err != nil {
		return fmt.Errorf("engine: reading CTI sessions: %w", err)
	}
	d := e.directory()
	now := e.clock.Now()
	n := 0
	for _, s := range open {
		if only != "" && s.Service != only {
			continue
		}
		a, svc := d.Agents[s.Login], d.Services[s.Service]
		code := ""
		if a != nil {
			code, _ = ctiIncomplete(a)
		}
		l, running := e.loopFor(s.Service)
		if a == nil || svc == nil || !svc.CTI || !hasService(a, s.Service) || code != "" || !running {
			if err := e.store.CTI().Close(ctx, s.Login); err != nil {
				return fmt.Errorf("engine: ending the CTI session of %s: %w", s.Login, err)
			}
			continue
		}
		last, err := e.store.States().Last(ctx, s.Login)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("engine: reading the last state of %s: %w", s.Login, err)
		}
		e.mu.Lock()
		e.sessions[s.Login] = s.Service
		e.mu.Unlock()
		cfg := *a
		notice := &Notice{Kind: "restarted", Message: restartNotice, At: now}
		if e.cluster != nil {
			err = l.do(func() error {
				l.resume(&agentRT{login: cfg.Login, cfg: cfg}, last)
				return nil
			})
			if err != nil {
				return fmt.Errorf("engine: bringing %s over: %w", s.Login, err)
			}
			n++
			continue
		}
		err = l.do(func() error {
			if last.To != "" && last.To != string(agent.LoggedOut) {
				rec := store.StateChange{Agent: cfg.Login, Service: s.Service, From: last.To, To: string(agent.LoggedOut),
					Reason: "restart", Call: last.Call, At: now}
				l.store(func(ctx context.Context, tx store.Store) error { return tx.States().Record(ctx, rec) })
			}
			return l.login(cfg, notice)
		})
		if err != nil {
			return fmt.Errorf("engine: logging %s back in: %w", s.Login, err)
		}
		n++
	}
	switch {
	case n > 0 && only != "":
		e.log.Info("agents taken over with their service", "service", only, "agents", n)
	case n > 0:
		e.log.Info("agents logged back in to CTI after a restart", "agents", n)
	}
	return nil
}
