-- Ordered delivery, opt-in per webhook (ordering = 'fifo'): its deliveries get a sequence number
-- in event order and go out one at a time. Other webhooks' rows keep seq NULL and never enter the
-- index, so unordered delivery pays nothing for it.
ALTER TABLE webhooks ADD COLUMN ordering text NOT NULL DEFAULT 'none' CHECK (ordering IN ('none', 'fifo'));
CREATE SEQUENCE delivery_seq;
ALTER TABLE deliveries ADD COLUMN seq bigint;
CREATE INDEX deliveries_in_line ON deliveries (webhook_id, seq)
    WHERE seq IS NOT NULL AND state IN ('pending', 'in_flight', 'retrying', 'paused');
