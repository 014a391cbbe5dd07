-- Endpoint health: the last failed attempt's error and when the current run of failures began
-- (NULL when the last attempt succeeded). Written with consecutive_failures, in the same statement.
ALTER TABLE webhooks ADD COLUMN last_error text;
ALTER TABLE webhooks ADD COLUMN last_error_at timestamptz;
ALTER TABLE webhooks ADD COLUMN failing_since timestamptz;
