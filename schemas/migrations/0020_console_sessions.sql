-- Web console sessions (herald-api at /): a signed-in API token, by the SHA-256 of a random session
-- id kept in an HttpOnly, SameSite=Strict cookie; a CSRF token per session for every form and
-- state-changing request. Sign-out deletes the row; revoking the token ends its sessions.
CREATE TABLE console_sessions (
    id_hash     bytea PRIMARY KEY,
    token_id    text NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    csrf        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
