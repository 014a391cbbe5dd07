-- paused_reason says why a webhook is paused or disabled (a 410 Gone from its endpoint disables it).
COMMENT ON COLUMN webhooks.paused_reason IS 'why the webhook is paused or disabled';

-- Webhooks that need a person: paused or disabled, with the reason and since when.
CREATE VIEW webhook_status AS
    SELECT w.id AS webhook_id, w.tenant_id, w.name, w.status, w.paused_reason AS reason, w.paused_at AS since,
           w.consecutive_failures,
           (SELECT count(*) FROM deliveries d WHERE d.webhook_id = w.id AND d.state = 'paused') AS waiting_deliveries
    FROM webhooks w;
