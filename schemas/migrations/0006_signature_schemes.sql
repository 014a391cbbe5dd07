-- Receiver compatibility.
-- `signing`: the webhook document's signing object as the person wrote it (preset names and
-- overrides), e.g. {"schemes": ["standard-webhooks", "erp-hex"]}. NULL = the webhook predates this
-- column: signing_scheme / signature_header / sign_timestamp hold it. Secrets a partner brings
-- (any text, not only whsec_) live in webhook_secrets like generated ones.
-- `preset`: an integration preset (slack, teams, zapier, crm, accounting) whose template is the
-- payload while payload_template is NULL.
ALTER TABLE webhooks ADD COLUMN signing jsonb;
ALTER TABLE webhooks ADD COLUMN preset text;
