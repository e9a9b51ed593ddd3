-- Several nodes on one PostgreSQL (docs/cluster.md). Each node says it is alive in
-- cluster_nodes every second; each service is served by the node holding its row in
-- service_leases until expires_at, renewed every second. A call record names the node its
-- media is on, so that a node taking over a service from a dead one can close exactly the
-- calls that died with it (node_lost). The embedded database keeps the same tables (a single
-- node never fills them) so that both dialects keep one schema.

CREATE TABLE cluster_nodes (
	name       TEXT PRIMARY KEY,
	sip        TEXT NOT NULL DEFAULT '',
	http       TEXT NOT NULL DEFAULT '',
	started_at BIGINT NOT NULL,
	seen_at    BIGINT NOT NULL
);

CREATE TABLE service_leases (
	service    TEXT PRIMARY KEY,
	node       TEXT NOT NULL,
	expires_at BIGINT NOT NULL,
	epoch      BIGINT NOT NULL DEFAULT 1
);

-- secrets every node must hold alike (the key signing SIP digest nonces), made by the first
-- node that needs one
CREATE TABLE cluster_keys (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

ALTER TABLE calls ADD COLUMN node TEXT NOT NULL DEFAULT '';
