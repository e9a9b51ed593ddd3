-- Ringdesk schema, PostgreSQL dialect. Times are UTC unix microseconds.

CREATE TABLE config (
	kind TEXT NOT NULL,          -- service | agent | trunk
	id   TEXT NOT NULL,
	pos  INTEGER NOT NULL,       -- order in the site file
	doc  TEXT NOT NULL,          -- JSON document
	PRIMARY KEY (kind, id)
);

CREATE TABLE config_version (version BIGINT NOT NULL);
INSERT INTO config_version (version) VALUES (0);

CREATE TABLE tickets (
	id         BIGSERIAL PRIMARY KEY,
	service    TEXT NOT NULL,
	subject    TEXT NOT NULL DEFAULT '',
	status     TEXT NOT NULL,
	assignee   TEXT NOT NULL DEFAULT '',
	phone      TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE INDEX tickets_service ON tickets (service, id);
CREATE INDEX tickets_service_phone ON tickets (service, phone, id);
CREATE INDEX tickets_service_status ON tickets (service, status, id);
CREATE INDEX tickets_service_assignee ON tickets (service, assignee, id);

CREATE TABLE ticket_notes (
	id        BIGSERIAL PRIMARY KEY,
	ticket_id BIGINT NOT NULL REFERENCES tickets (id),
	author    TEXT NOT NULL,
	body      TEXT NOT NULL,
	at        BIGINT NOT NULL
);
CREATE INDEX ticket_notes_ticket ON ticket_notes (ticket_id, id);

CREATE TABLE calls (
	id           TEXT PRIMARY KEY,
	service      TEXT NOT NULL,
	ticket_id    BIGINT REFERENCES tickets (id),
	direction    TEXT NOT NULL,
	from_number  TEXT NOT NULL DEFAULT '',
	to_number    TEXT NOT NULL DEFAULT '',
	caller_id    TEXT NOT NULL DEFAULT '',
	queue        TEXT NOT NULL DEFAULT '',
	agent        TEXT NOT NULL DEFAULT '',
	started_at   BIGINT NOT NULL,
	offered_at   BIGINT,
	answered_at  BIGINT,
	ended_at     BIGINT,
	talk_seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
	hold_seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
	hangup_cause TEXT NOT NULL DEFAULT '',
	hangup_by    TEXT NOT NULL DEFAULT '',
	transfers    TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX calls_ticket ON calls (ticket_id);
CREATE INDEX calls_open ON calls (ended_at) WHERE ended_at IS NULL;

CREATE TABLE agent_states (
	id         BIGSERIAL PRIMARY KEY,
	agent      TEXT NOT NULL,
	service    TEXT NOT NULL,
	from_state TEXT NOT NULL,
	to_state   TEXT NOT NULL,
	reason     TEXT NOT NULL DEFAULT '',
	call_id    TEXT NOT NULL DEFAULT '',
	at         BIGINT NOT NULL
);
CREATE INDEX agent_states_agent ON agent_states (agent, at);

CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY,
	login      TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_login ON sessions (login);

CREATE TABLE audio (
	id   TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	data BYTEA NOT NULL
);
