-- The event log every figure is computed from, 콜백 필요 on tickets, and what became of a call.

CREATE TABLE call_events (
	id         BIGSERIAL PRIMARY KEY,
	service    TEXT NOT NULL,
	queue      TEXT NOT NULL DEFAULT '',
	call_id    TEXT NOT NULL,
	agent      TEXT NOT NULL DEFAULT '',
	kind       TEXT NOT NULL,
	at         BIGINT NOT NULL,
	wait       DOUBLE PRECISION NOT NULL DEFAULT 0,
	talk       DOUBLE PRECISION NOT NULL DEFAULT 0,
	hold       DOUBLE PRECISION NOT NULL DEFAULT 0,
	after_call DOUBLE PRECISION NOT NULL DEFAULT 0,
	within_sl  INTEGER NOT NULL DEFAULT 0,
	short      INTEGER NOT NULL DEFAULT 0,
	detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX call_events_service_at ON call_events (service, at);

ALTER TABLE tickets ADD COLUMN callback INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tickets_service_callback ON tickets (service, callback, id);

ALTER TABLE calls ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE calls ADD COLUMN wait_seconds DOUBLE PRECISION NOT NULL DEFAULT 0;
CREATE INDEX calls_service_started ON calls (service, started_at);

CREATE INDEX agent_states_service_at ON agent_states (service, at);
-- who changed an agent's state when it was not the agent (a manager); '' for the agent itself
ALTER TABLE agent_states ADD COLUMN changed_by TEXT NOT NULL DEFAULT '';
