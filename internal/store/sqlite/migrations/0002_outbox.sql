-- Agents logged in to CTI, so that a restart logs them back in; a call's media quality.

CREATE TABLE cti_sessions (
	login   TEXT PRIMARY KEY,
	service TEXT NOT NULL,
	since   INTEGER NOT NULL
);

ALTER TABLE calls ADD COLUMN quality TEXT;
