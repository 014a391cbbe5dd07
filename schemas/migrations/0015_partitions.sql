-- Retention by partition: events, deliveries and delivery_attempts become range-partitioned tables
-- with one partition per UTC day, so history older than the retention window is removed by dropping
-- a day's partition (milliseconds), never by deleting rows one by one.
--
-- Partition keys keep Herald's idempotency without global unique indexes:
--   events              by occurred_at (the envelope's, the same on every redelivery); key (tenant_id, id, occurred_at)
--   deliveries          by id: a delivery id is a ULID whose time is its event's occurred_at and whose
--                       random part is a hash of (tenant, event id, webhook id), so a redelivered event
--                       maps to the same id (ON CONFLICT (id)), and every lookup by id reads one partition
--   delivery_attempts   by delivery_id: an attempt lives and goes with its delivery
-- A DEFAULT partition of each takes rows outside the days created (an occurred_at far in the past or
-- the future); retention empties it in bounded batches.
--
-- The current tables are kept as they are, attached as the first partition of each (no data copied):
-- retention drops them once everything in them is older than the window. Stop the routers while
-- migrating (an event redelivered across the upgrade could otherwise be delivered twice).

-- The 10-character ULID time prefix of a moment (Crockford base32 of its Unix milliseconds).
CREATE FUNCTION herald_ulid_time(at timestamptz) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    ms bigint := greatest(0, floor(extract(epoch FROM at) * 1000))::bigint & 281474976710655;
    alphabet constant text := '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    result text := '';
BEGIN
    FOR i IN REVERSE 9..0 LOOP
        result := result || substr(alphabet, ((ms >> (i * 5)) & 31)::int + 1, 1);
    END LOOP;
    RETURN result;
END $$;

-- Every partition Herald made, with the moments it covers (the first ones start at MINVALUE).
CREATE TABLE herald_partitions (
    name         text PRIMARY KEY,
    parent       text NOT NULL CHECK (parent IN ('events', 'deliveries', 'delivery_attempts')),
    from_time    timestamptz,                       -- NULL: from the beginning (the attached tables)
    to_time      timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Days kept per tenant (NULL: the installation's HERALD_RETENTION_DAYS).
ALTER TABLE tenants ADD COLUMN retention_days integer CHECK (retention_days BETWEEN 1 AND 3650);

-- Views that read the tables are rebuilt on the partitioned ones (a view follows the table it was
-- made on, even renamed).
CREATE TEMPORARY TABLE herald_views_to_rebuild ON COMMIT DROP AS
    SELECT DISTINCT v.oid::regclass::text AS name, pg_get_viewdef(v.oid) AS body
    FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class
    WHERE d.refobjid IN ('events'::regclass, 'deliveries'::regclass, 'delivery_attempts'::regclass)
      AND v.relkind = 'v';

DO $$
DECLARE
    t record;
    ix record;
    legacy text;
    bound_time timestamptz;
    delivery_bound text;
    day_start timestamptz;
    key_expr text;
BEGIN
    EXECUTE 'DROP VIEW ' || (SELECT string_agg(name, ', ') FROM herald_views_to_rebuild);
    -- One moment for all three: past every existing row (an occurred_at in the future included).
    bound_time := greatest(now() + interval '1 hour',
                           (SELECT max(occurred_at) + interval '1 millisecond' FROM events));
    delivery_bound := greatest('msg_' || herald_ulid_time(bound_time),
                               (SELECT max(id) || '0' FROM deliveries));
    ALTER TABLE deliveries DROP CONSTRAINT deliveries_tenant_id_event_id_webhook_id_key;
    FOR t IN SELECT * FROM (VALUES ('events', 'occurred_at', 'tenant_id, id, occurred_at'),
                                   ('deliveries', 'id', 'id'),
                                   ('delivery_attempts', 'delivery_id', 'delivery_id, attempt')) AS x(name, key, pk) LOOP
        legacy := t.name || '_before_partitions';
        EXECUTE format('ALTER TABLE %I RENAME TO %I', t.name, legacy);
        -- Index (and constraint) names stay with the partitioned table; the old table's get a suffix.
        FOR ix IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                  WHERE i.indrelid = legacy::regclass LOOP
            EXECUTE format('ALTER INDEX %I RENAME TO %I', ix.relname, ix.relname || '_bp');
        END LOOP;
        key_expr := t.key;
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (%s)',
                       t.name, legacy, key_expr);
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY (%s)', t.name, t.name || '_pkey', t.pk);
        IF t.name = 'events' THEN
            -- The key gains occurred_at (a partitioned table's key includes its partition key).
            EXECUTE format('CREATE UNIQUE INDEX events_key_bp ON %I (tenant_id, id, occurred_at)', legacy);
            EXECUTE format('ALTER TABLE %I DROP CONSTRAINT events_pkey_bp', legacy);
            EXECUTE format('ALTER TABLE %I ADD CONSTRAINT events_key_bp PRIMARY KEY USING INDEX events_key_bp', legacy);
            EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (MINVALUE) TO (%L)', legacy, bound_time);
        ELSE
            EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (MINVALUE) TO (%L)', t.name, legacy, delivery_bound);
        END IF;
        INSERT INTO herald_partitions (name, parent, from_time, to_time) VALUES (legacy, t.name, NULL, bound_time);
        -- The first day: from the bound to the next midnight (UTC); later days come from housekeeping.
        day_start := date_trunc('day', bound_time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '1 day';
        IF t.name = 'events' THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                           'events_p' || to_char(bound_time AT TIME ZONE 'UTC', 'YYYYMMDD'), bound_time, day_start);
        ELSE
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                           t.name || '_p' || to_char(bound_time AT TIME ZONE 'UTC', 'YYYYMMDD'), t.name,
                           delivery_bound, 'msg_' || herald_ulid_time(day_start));
        END IF;
        INSERT INTO herald_partitions (name, parent, from_time, to_time)
            VALUES (t.name || '_p' || to_char(bound_time AT TIME ZONE 'UTC', 'YYYYMMDD'), t.name, bound_time, day_start);
        EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', t.name || '_default', t.name);
    END LOOP;
    -- The old indexes again, on the partitioned tables (each old one is attached, not rebuilt).
    CREATE INDEX events_received ON events (received_at);
    CREATE INDEX deliveries_created ON deliveries USING brin (created_at);
    CREATE INDEX deliveries_webhook ON deliveries (webhook_id) WHERE state IN ('failed', 'retrying');
    CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state IN ('pending', 'retrying', 'in_flight');
    CREATE INDEX deliveries_paused ON deliveries (webhook_id) WHERE state = 'paused';
    CREATE INDEX deliveries_webhook_created ON deliveries (webhook_id, created_at DESC, id DESC) INCLUDE (state);
    CREATE INDEX deliveries_tenant_created ON deliveries (tenant_id, created_at DESC, id DESC);
    CREATE INDEX deliveries_in_line ON deliveries (webhook_id, seq)
        WHERE seq IS NOT NULL AND state IN ('pending', 'in_flight', 'retrying', 'paused');
    CREATE INDEX delivery_attempts_started ON delivery_attempts USING brin (started_at);
    CREATE INDEX delivery_attempts_webhook_started ON delivery_attempts (webhook_id, started_at)
        INCLUDE (duration_ms, status_code, abandoned);
    FOR t IN SELECT * FROM herald_views_to_rebuild LOOP
        EXECUTE format('CREATE VIEW %s AS %s', t.name,
                       regexp_replace(t.body, '\m(events|deliveries|delivery_attempts)_before_partitions\M', '\1', 'g'));
    END LOOP;
END $$;

-- The event's moment on each delivery, so the worker's payload lookup reads one events partition.
ALTER TABLE deliveries ADD COLUMN event_occurred_at timestamptz;
