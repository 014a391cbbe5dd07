-- A webhook's TLS material (client certificate and key for mutual TLS, a CA bundle for its
-- endpoint) as JSON sealed with the master key (AES-256-GCM), like its other credentials.
ALTER TABLE webhooks ADD COLUMN tls_sealed bytea;
