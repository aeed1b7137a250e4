-- Retention. An event whose payload is pruned keeps its row (id, type, times) until the
-- idempotency window has passed too, so the unique (tenant, id) still recognises a resend.
ALTER TABLE events ALTER COLUMN body DROP NOT NULL;

-- Finished alerts are pruned oldest first.
CREATE INDEX alerts_resolved_at ON alerts (resolved_at) WHERE status = 'resolved';
