-- Herald schema, version 1.
-- PostgreSQL is the source of truth for every delivery's state; the broker only carries work.

CREATE TABLE tenants (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    name        text NOT NULL DEFAULT '',
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- What a person configures. Every field of DESIGN.md "Webhook" has a column.
CREATE TABLE webhooks (
    id                      text PRIMARY KEY,                       -- wh_<ulid>
    tenant_id               text NOT NULL REFERENCES tenants(id),
    name                    text NOT NULL,
    description             text NOT NULL DEFAULT '',
    status                  text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'disabled')),
    version                 text NOT NULL DEFAULT 'v1',
    url                     text NOT NULL CHECK (url ~ '^https?://'),
    method                  text NOT NULL DEFAULT 'POST' CHECK (method IN ('POST', 'PUT', 'PATCH')),
    content_type            text NOT NULL DEFAULT 'application/json',
    auth_type               text NOT NULL DEFAULT 'none'
                            CHECK (auth_type IN ('none', 'bearer', 'basic', 'api_key', 'hmac', 'oauth2', 'jwt')),
    auth_config_sealed      bytea,                                  -- AES-256-GCM sealed JSON (master key)
    headers                 jsonb NOT NULL DEFAULT '{}'::jsonb,      -- custom headers, name -> value
    events                  text[] NOT NULL CHECK (cardinality(events) > 0),  -- exact types or wildcards
    filter                  text,                                   -- filter expression, NULL = every event
    payload_template        text,                                   -- NULL = the event envelope
    connect_timeout_ms      integer NOT NULL DEFAULT 10000 CHECK (connect_timeout_ms BETWEEN 100 AND 120000),
    response_timeout_ms     integer NOT NULL DEFAULT 30000 CHECK (response_timeout_ms BETWEEN 100 AND 600000),
    success_status_min      integer NOT NULL DEFAULT 200 CHECK (success_status_min BETWEEN 100 AND 599),
    success_status_max      integer NOT NULL DEFAULT 299 CHECK (success_status_max BETWEEN 100 AND 599),
    max_retries             integer NOT NULL DEFAULT 5 CHECK (max_retries BETWEEN 0 AND 50),
    retry_backoff           text NOT NULL DEFAULT 'custom' CHECK (retry_backoff IN ('fixed', 'exponential', 'custom')),
    retry_intervals_s       integer[] NOT NULL DEFAULT '{60,300,1800,7200,43200}',
    retry_jitter            real NOT NULL DEFAULT 0 CHECK (retry_jitter BETWEEN 0 AND 1),
    pause_after_failures    integer NOT NULL DEFAULT 0 CHECK (pause_after_failures >= 0),   -- 0 = never
    notify_email            text,
    notify_url              text,
    keep_failed_payloads    boolean NOT NULL DEFAULT true,
    rate_limit_per_minute   integer CHECK (rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0),
    signing_scheme          text NOT NULL DEFAULT 'standard' CHECK (signing_scheme IN ('standard', 'hex', 'none')),
    signature_header        text NOT NULL DEFAULT 'X-Herald-Signature',
    sign_timestamp          boolean NOT NULL DEFAULT true,
    https_only              boolean NOT NULL DEFAULT false,
    allowed_networks        text[] NOT NULL DEFAULT '{}',
    paused_behavior         text NOT NULL DEFAULT 'queue' CHECK (paused_behavior IN ('queue', 'discard')),
    consecutive_failures    integer NOT NULL DEFAULT 0,
    paused_reason           text,
    paused_at               timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CHECK (success_status_min <= success_status_max)
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id);

-- Signing secrets, sealed with the master key. Every live secret signs (rotation).
CREATE TABLE webhook_secrets (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id      text NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    secret_sealed   bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz                                   -- NULL = live until rotated
);
CREATE INDEX webhook_secrets_webhook ON webhook_secrets (webhook_id);

-- Every event the router accepted, once per (tenant, id).
CREATE TABLE events (
    tenant_id       text NOT NULL,
    id              text NOT NULL,
    type            text NOT NULL,
    occurred_at     timestamptz NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    payload         text NOT NULL,                                -- the envelope as received (JSON)
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX events_received ON events (received_at);

-- One delivery per (event, webhook). States:
--   pending     recorded, job published (or about to be)          -> in_flight
--   in_flight   claimed by a worker for attempt `attempts`         -> succeeded | retrying | failed
--   retrying    waiting in a delay queue until next_attempt_at     -> in_flight
--   succeeded   an attempt got a success status                    (final)
--   failed      retries exhausted or not retryable; parked         (final, can be resent)
--   paused      the webhook is paused with paused_behavior=queue   -> pending on resume
--   cancelled   discarded (paused with discard, deleted webhook, operator)
CREATE TABLE deliveries (
    id              text PRIMARY KEY,                             -- msg_<ulid>: the stable webhook-id
    tenant_id       text NOT NULL,
    event_id        text NOT NULL,
    event_type      text NOT NULL,
    webhook_id      text NOT NULL,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'in_flight', 'retrying', 'succeeded', 'failed', 'paused', 'cancelled')),
    attempts        integer NOT NULL DEFAULT 0,                   -- attempts claimed so far
    next_attempt_at timestamptz,
    lease_until     timestamptz,                                  -- in_flight claim expiry
    payload         text,                                         -- rendered body; NULL = the event envelope as received
    payload_deferred boolean NOT NULL DEFAULT false,              -- true: rendered by the worker per attempt
    last_status     integer,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    UNIQUE (tenant_id, event_id, webhook_id)
);
-- Reports and logs select by period: a BRIN index on time costs next to nothing on the hot path
-- (deliveries are updated three times each; every B-tree would be written each time).
CREATE INDEX deliveries_created ON deliveries USING brin (created_at);
CREATE INDEX deliveries_webhook ON deliveries (webhook_id) WHERE state IN ('failed', 'retrying');
-- The reconciler's scan: only unfinished rows are indexed.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at)
    WHERE state IN ('pending', 'retrying', 'in_flight');
CREATE INDEX deliveries_paused ON deliveries (webhook_id) WHERE state = 'paused';

-- Every attempt, as sent and as answered.
CREATE TABLE delivery_attempts (
    delivery_id         text NOT NULL,
    attempt             integer NOT NULL,
    webhook_id          text NOT NULL,
    started_at          timestamptz NOT NULL,
    duration_ms         double precision NOT NULL,
    status_code         integer,
    succeeded           boolean NOT NULL,
    error               text,
    request_headers     text,                                     -- as sent, secrets redacted
    response_headers    text,
    response_body       text,                                     -- capped
    worker              text,
    PRIMARY KEY (delivery_id, attempt)
);
CREATE INDEX delivery_attempts_started ON delivery_attempts USING brin (started_at);

-- The transactional outbox an ERP writes in its own transaction; herald-producer relay publishes it.
CREATE TABLE outbox (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        text NOT NULL,
    tenant_id       text NOT NULL,
    type            text NOT NULL,
    payload         text NOT NULL,                                -- the full envelope (JSON)
    created_at      timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
CREATE FUNCTION herald_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('herald_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION herald_outbox_notify();

-- Routers and workers keep webhooks in memory and reload on this notification.
CREATE FUNCTION herald_webhooks_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('herald_webhooks', COALESCE(NEW.webhook_id, OLD.webhook_id, ''));
    RETURN NULL;
END $$;
CREATE FUNCTION herald_webhook_row_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('herald_webhooks', COALESCE(NEW.id, OLD.id));
    RETURN NULL;
END $$;
CREATE TRIGGER webhooks_notify AFTER INSERT OR UPDATE OR DELETE ON webhooks
    FOR EACH ROW EXECUTE FUNCTION herald_webhook_row_notify();
CREATE TRIGGER webhook_secrets_notify AFTER INSERT OR UPDATE OR DELETE ON webhook_secrets
    FOR EACH ROW EXECUTE FUNCTION herald_webhooks_notify();

-- Reports ---------------------------------------------------------------------------------------

-- Per webhook over any period: SELECT * FROM herald_delivery_report('2026-01-01', '2026-02-01');
CREATE FUNCTION herald_delivery_report(period_start timestamptz, period_end timestamptz)
RETURNS TABLE (
    webhook_id text, webhook_name text, tenant_id text,
    deliveries bigint, succeeded bigint, failed bigint, retried bigint, in_progress bigint,
    success_rate numeric, attempts bigint, avg_latency_ms numeric, p95_latency_ms numeric
) LANGUAGE sql STABLE AS $$
    WITH d AS (
        SELECT * FROM deliveries WHERE created_at >= period_start AND created_at < period_end
    ), a AS (
        SELECT delivery_attempts.webhook_id, count(*) AS attempts,
               avg(duration_ms) AS avg_ms,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95_ms
        FROM delivery_attempts
        WHERE started_at >= period_start AND started_at < period_end
        GROUP BY delivery_attempts.webhook_id
    )
    SELECT w.id, w.name, w.tenant_id,
           count(d.id),
           count(d.id) FILTER (WHERE d.state = 'succeeded'),
           count(d.id) FILTER (WHERE d.state = 'failed'),
           count(d.id) FILTER (WHERE d.attempts > 1),
           count(d.id) FILTER (WHERE d.state IN ('pending', 'in_flight', 'retrying', 'paused')),
           round(100.0 * count(d.id) FILTER (WHERE d.state = 'succeeded')
                 / NULLIF(count(d.id) FILTER (WHERE d.state IN ('succeeded', 'failed')), 0), 2),
           COALESCE(max(a.attempts), 0),
           round(max(a.avg_ms)::numeric, 1),
           round(max(a.p95_ms)::numeric, 1)
    FROM webhooks w
    LEFT JOIN d ON d.webhook_id = w.id
    LEFT JOIN a ON a.webhook_id = w.id
    GROUP BY w.id, w.name, w.tenant_id
$$;

-- The last 30 days, per webhook (the dashboard's "Delivery Statistics").
CREATE VIEW webhook_delivery_stats AS
    SELECT * FROM herald_delivery_report(now() - interval '30 days', now() + interval '1 minute');

-- Per webhook and day: volume, outcome, latency.
CREATE VIEW delivery_daily_stats AS
    SELECT a.webhook_id, date_trunc('day', a.started_at) AS day,
           count(*) AS attempts,
           count(*) FILTER (WHERE a.succeeded) AS succeeded_attempts,
           count(*) FILTER (WHERE NOT a.succeeded) AS failed_attempts,
           round(avg(a.duration_ms)::numeric, 1) AS avg_latency_ms,
           round((percentile_cont(0.95) WITHIN GROUP (ORDER BY a.duration_ms))::numeric, 1) AS p95_latency_ms
    FROM delivery_attempts a
    GROUP BY a.webhook_id, date_trunc('day', a.started_at);

-- Deliveries that need a person: failed, or paused webhooks holding work.
CREATE VIEW delivery_problems AS
    SELECT d.id AS delivery_id, d.webhook_id, w.name AS webhook_name, d.event_id, d.event_type, d.state,
           d.attempts, d.last_status, d.last_error, d.updated_at
    FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
    WHERE d.state IN ('failed', 'paused');
