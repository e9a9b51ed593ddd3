-- The Path vector a phone registered through (RFC 3327): the proxies calls to it must pass,
-- as one Path header value, the proxy nearest us first; empty for a phone that registered
-- directly.

ALTER TABLE registrations ADD COLUMN path TEXT NOT NULL DEFAULT '';
