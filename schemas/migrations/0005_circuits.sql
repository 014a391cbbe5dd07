-- One circuit breaker per endpoint (its URL without the query), shared by every worker.
CREATE TABLE endpoint_circuits (
    endpoint        text PRIMARY KEY,
    phase           text NOT NULL DEFAULT 'closed' CHECK (phase IN ('closed', 'open', 'half_open')),
    window_start    bigint NOT NULL DEFAULT 0,           -- Unix ms
    requests        integer NOT NULL DEFAULT 0,
    failures        integer NOT NULL DEFAULT 0,
    open_until      bigint NOT NULL DEFAULT 0,           -- Unix ms
    cooldown_s      integer NOT NULL DEFAULT 0,
    opened_at       timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX endpoint_circuits_not_closed ON endpoint_circuits (endpoint) WHERE phase <> 'closed';
