-- The management API (herald-api): tokens, the audit log, idempotent HTTP ingest, and the indexes
-- that keep its per-webhook and per-tenant lists index-backed as the tables grow.

-- API tokens: only a SHA-256 of the token is stored; the token itself is shown once.
-- tenant_id NULL = an operator token (every tenant).
CREATE TABLE api_tokens (
    id           text PRIMARY KEY,                               -- tok_<ulid>, also the token's visible prefix
    tenant_id    text,
    role         text NOT NULL CHECK (role IN ('admin', 'viewer', 'operator')),
    name         text NOT NULL,
    token_hash   bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    CHECK ((role = 'operator') = (tenant_id IS NULL))
);
CREATE INDEX api_tokens_tenant ON api_tokens (tenant_id);

-- Every change made through the admin layer (API or heraldctl): who, what, when, before/after
-- with secrets redacted.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    tenant_id   text,                                            -- the tenant the change concerns
    actor       text NOT NULL,                                   -- token id, or 'heraldctl:<user>'
    action      text NOT NULL,                                   -- webhook.create, webhook.update, …
    target_type text NOT NULL,
    target_id   text,
    before      jsonb,
    after       jsonb
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id DESC);

-- Idempotency-Key of POST /api/v1/events: the events a key published, so a retried request
-- publishes nothing new. Kept 24 hours (the API's housekeeping removes older keys).
CREATE TABLE api_idempotency (
    tenant_id    text NOT NULL,
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    event_ids    text[] NOT NULL,
    published    boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);

-- Delivery log per webhook and per tenant, newest first, with keyset (cursor) pagination. The
-- state rides along so that a webhook's figures over a period are read from the index alone (an
-- update of a delivery writes every index entry anyway: its state is in partial-index predicates).
CREATE INDEX deliveries_webhook_created ON deliveries (webhook_id, created_at DESC, id DESC) INCLUDE (state);
CREATE INDEX deliveries_tenant_created ON deliveries (tenant_id, created_at DESC, id DESC);
-- Per-webhook latency figures over a period, from the index alone (attempts are only inserted, so
-- their pages are soon all-visible).
CREATE INDEX delivery_attempts_webhook_started ON delivery_attempts (webhook_id, started_at)
    INCLUDE (duration_ms, status_code, abandoned);
