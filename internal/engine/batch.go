package engine

import (
	"context"
	"time"

	"ringdesk/internal/store"
)

// logBatch is the store a group commit's writes see. The two logs every call writes to most
// (call events and agent state changes, five rows each per call) are gathered and written at
// the end of the commit in multi-row statements: one statement per table costs far less than
// one per row, and nothing inside a commit reads the rows back (a read of either log flushes
// what was gathered first, all the same). Everything else goes straight to the transaction.
type logBatch struct {
	store.Store
	events []store.CallEvent
	states []store.StateChange
}

func (b *logBatch) Events() store.EventStore { return batchEvents{b} }
func (b *logBatch) States() store.StateStore { return batchStates{b} }

// InTx joins the commit's transaction, gathering as well.
func (b *logBatch) InTx(_ context.Context, fn func(tx store.Store) error) error { return fn(b) }

// flush writes what was gathered.
func (b *logBatch) flush(ctx context.Context) error {
	if len(b.events) > 0 {
		if err := b.Store.Events().Append(ctx, b.events...); err != nil {
			return err
		}
		b.events = b.events[:0]
	}
	if len(b.states) > 0 {
		if err := b.Store.States().Record(ctx, b.states...); err != nil {
			return err
		}
		b.states = b.states[:0]
	}
	return nil
}

type batchEvents struct{ b *logBatch }

func (e batchEvents) Append(_ context.Context, es ...store.CallEvent) error {
	e.b.events = append(e.b.events, es...)
	return nil
}

func (e batchEvents) Sums(ctx context.Context, service string, from, to time.Time, by string) ([]store.EventSum, error) {
	if err := e.b.flush(ctx); err != nil {
		return nil, err
	}
	return e.b.Store.Events().Sums(ctx, service, from, to, by)
}

type batchStates struct{ b *logBatch }

func (s batchStates) Record(_ context.Context, cs ...store.StateChange) error {
	s.b.states = append(s.b.states, cs...)
	return nil
}

func (s batchStates) List(ctx context.Context, agent string, since time.Time, limit int) ([]store.StateChange, error) {
	if err := s.b.flush(ctx); err != nil {
		return nil, err
	}
	return s.b.Store.States().List(ctx, agent, since, limit)
}

func (s batchStates) Last(ctx context.Context, agent string) (store.StateChange, error) {
	if err := s.b.flush(ctx); err != nil {
		return store.StateChange{}, err
	}
	return s.b.Store.States().Last(ctx, agent)
}

func (s batchStates) Range(ctx context.Context, service string, agents []string, from, to time.Time) ([]store.StateChange, error) {
	if err := s.b.flush(ctx); err != nil {
		return nil, err
	}
	return s.b.Store.States().Range(ctx, service, agents, from, to)
}
