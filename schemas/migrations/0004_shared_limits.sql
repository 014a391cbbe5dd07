-- Rate limits held across every worker: one token bucket per webhook. A worker leases about a
-- second of tokens at a time (one round trip per webhook per second, not per delivery).
CREATE TABLE webhook_rate_buckets (
    webhook_id  text PRIMARY KEY REFERENCES webhooks(id) ON DELETE CASCADE,
    tokens      double precision NOT NULL,
    last_grant  integer NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
