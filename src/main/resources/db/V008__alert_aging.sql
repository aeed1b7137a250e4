-- Alerts that resolve themselves and re-notify, and why occurrences were not delivered.

-- Per reason, how many raises of this alert were counted without being delivered
-- (duplicate_active: the alert was open; cooldown: inside the rule's cooldown).
ALTER TABLE alerts ADD COLUMN not_delivered jsonb NOT NULL DEFAULT '{}';
-- The rule's @resolve_after and @repeat (or the configured defaults) when the alert was
-- raised, in milliseconds; 0 = never.
ALTER TABLE alerts ADD COLUMN resolve_after_ms bigint NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN repeat_ms bigint NOT NULL DEFAULT 0;
-- When channels were last told about the alert being active (raise or repeat).
ALTER TABLE alerts ADD COLUMN last_notified_at timestamptz;
UPDATE alerts SET last_notified_at = created_at WHERE last_notified_at IS NULL;

CREATE INDEX alerts_open_last_seen ON alerts (last_seen)
  WHERE status IN ('active', 'acknowledged', 'suppressed') AND resolve_after_ms > 0;
CREATE INDEX alerts_repeat_due ON alerts (last_notified_at)
  WHERE status = 'active' AND repeat_ms > 0;
