-- Tenants registered on their own (heraldctl tenant create): a tenant with no webhook yet is known
-- to the router (its events are recorded, nothing is delivered); a disabled one's events are refused.
-- Routers and workers reload when a tenant changes, as they do for webhooks.
CREATE FUNCTION herald_tenants_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('herald_webhooks', '');
    RETURN NULL;
END $$;
CREATE TRIGGER tenants_notify AFTER INSERT OR UPDATE OR DELETE ON tenants
    FOR EACH STATEMENT EXECUTE FUNCTION herald_tenants_notify();
