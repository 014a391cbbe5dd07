-- Batch delivery, opt-in per webhook: up to batch_max_events deliveries per request (one JSON
-- array, signed once), waiting at most batch_max_wait_ms for the batch to fill. NULL = one
-- delivery per request (the default, which pays nothing for it). Each delivery keeps its own row,
-- state and attempts.
ALTER TABLE webhooks
    ADD COLUMN batch_max_events int CHECK (batch_max_events BETWEEN 2 AND 1000),
    ADD COLUMN batch_max_wait_ms int CHECK (batch_max_wait_ms BETWEEN 0 AND 60000),
    ADD CONSTRAINT webhooks_batch_complete CHECK ((batch_max_events IS NULL) = (batch_max_wait_ms IS NULL));
