-- Read-only tokens that let a television show one service's wallboard without a login. Only
-- the SHA-256 of each token is kept, as for sessions.

CREATE TABLE wallboard_tokens (
	token_hash TEXT PRIMARY KEY,
	service    TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX wallboard_tokens_service ON wallboard_tokens (service);
