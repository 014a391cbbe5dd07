-- A tenant's events by arrival: the sweep of a tenant's shorter retention window (heraldctl retention
-- run, the worker's housekeeping) and the "latest event of this tenant" lookups (the console's sample
-- events, a template preview's sample) read this index instead of scanning every day's events.
-- On an installation with many events it is built on each day partition inside the migration's
-- transaction: writes to events wait while it builds (about a minute per 50 million events here).
CREATE INDEX IF NOT EXISTS events_tenant_received ON events (tenant_id, received_at);
