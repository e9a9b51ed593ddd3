-- Phones' registrations, kept across restarts. Times are UTC unix microseconds.

CREATE TABLE registrations (
	extension  TEXT NOT NULL,
	pos        INTEGER NOT NULL,          -- the extension's bindings in order, the newest last
	contact    TEXT NOT NULL,
	source     TEXT NOT NULL DEFAULT '',  -- host:port the REGISTER came from
	transport  TEXT NOT NULL DEFAULT 'UDP',
	expires_at INTEGER NOT NULL,
	call_id    TEXT NOT NULL DEFAULT '',
	cseq       INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (extension, pos)
);
CREATE INDEX registrations_expires ON registrations (expires_at);
