-- Call recordings and who played them. Times are UTC unix microseconds.

CREATE TABLE recordings (
	id             TEXT PRIMARY KEY,
	call_id        TEXT NOT NULL,
	service        TEXT NOT NULL,
	agent          TEXT NOT NULL DEFAULT '',     -- the call's agent when recording began
	started_at     INTEGER NOT NULL,
	ended_at       INTEGER,                          -- NULL while it is being written
	seconds        REAL NOT NULL DEFAULT 0,
	paused_seconds REAL NOT NULL DEFAULT 0,
	paused         TEXT NOT NULL DEFAULT '[]',   -- JSON [{"from","to"}]: seconds into the recording
	status         TEXT NOT NULL DEFAULT 'recording', -- recording | done | failed
	location       TEXT NOT NULL DEFAULT 'local',     -- local (the data folder) | bucket
	bytes          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX recordings_call ON recordings (call_id);
CREATE INDEX recordings_started ON recordings (started_at);

-- Every play and download, and every deletion; kept after the recording is deleted.
CREATE TABLE recording_access (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	recording_id TEXT NOT NULL,
	login        TEXT NOT NULL,
	action       TEXT NOT NULL,                -- play | download | deleted
	at           INTEGER NOT NULL,
	source       TEXT NOT NULL DEFAULT ''      -- the client's address
);
CREATE INDEX recording_access_recording ON recording_access (recording_id, at);
