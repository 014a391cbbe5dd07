-- W3C trace context: the routing step's traceparent on each delivery (its trace id is the event's,
-- taken from the event's AMQP header or the HTTP ingest header, or new), and each attempt's own
-- traceparent as sent to the endpoint (same trace id, the attempt's span id).
ALTER TABLE deliveries ADD COLUMN traceparent text;
ALTER TABLE delivery_attempts ADD COLUMN traceparent text;
