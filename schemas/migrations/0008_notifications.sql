-- What webhook owners are told (mail to notify_email, a signed POST to notify_url): paused, disabled
-- (410), circuit open, deliveries that ended failed. One row per (webhook, kind, window): the first
-- worker to see the cause inserts it, every other one finds it there (ON CONFLICT), so each notice
-- goes out once however many workers saw it. Failed deliveries of one window add to one row (a
-- digest: the count and the first ids), sent when the window closes.
CREATE TABLE notifications (
    id             bigserial PRIMARY KEY,
    webhook_id     text NOT NULL,
    kind           text NOT NULL,
    window_key     bigint NOT NULL,                -- floor(Unix seconds / the kind's window)
    reason         text NOT NULL,
    count          integer NOT NULL DEFAULT 0,     -- digests: deliveries collected
    delivery_ids   text[] NOT NULL DEFAULT '{}',   -- digests: the first few
    created_at     timestamptz NOT NULL DEFAULT now(),
    due_at         timestamptz NOT NULL DEFAULT now(),
    claimed_until  timestamptz,                    -- a notifier is sending it (a lease)
    attempts       integer NOT NULL DEFAULT 0,
    email_sent_at  timestamptz,
    url_sent_at    timestamptz,
    done_at        timestamptz,                    -- every channel sent, or given up (last_error says why)
    last_error     text,
    UNIQUE (webhook_id, kind, window_key)
);
CREATE INDEX notifications_due ON notifications (due_at) WHERE done_at IS NULL;
