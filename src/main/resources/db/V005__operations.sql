-- Operations: the alert timeline, and an index for the status page's last outcome per channel.

-- What was done to an alert, one row per act: acknowledged or resolved, by whom, with the
-- note. Written in the transaction that changes the alert's status.
CREATE TABLE alert_events (
  id        bigserial PRIMARY KEY,
  alert_id  uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  tenant    text NOT NULL,
  at        timestamptz NOT NULL,
  kind      text NOT NULL,
  key_id    text,
  who       text,
  note      text,
  details   jsonb
);
CREATE INDEX alert_events_alert ON alert_events (alert_id, id);

-- Alerts handled before this table existed keep what their row remembers (the latest note
-- belongs to the last change).
INSERT INTO alert_events (alert_id, tenant, at, kind, who, note)
  SELECT id, tenant, acknowledged_at, 'acknowledged', acknowledged_by,
         CASE WHEN resolved_at IS NULL THEN note END
  FROM alerts WHERE acknowledged_at IS NOT NULL;
INSERT INTO alert_events (alert_id, tenant, at, kind, who, note)
  SELECT id, tenant, resolved_at, 'resolved', resolved_by, note
  FROM alerts WHERE resolved_at IS NOT NULL;

-- The latest attempted delivery per tenant and channel, without reading a tenant's whole history.
CREATE INDEX deliveries_last_attempt ON deliveries (tenant, channel, updated_at DESC) WHERE attempts > 0;

-- GET /api/v1/stats counts a tenant's alerts by when they were first seen.
CREATE INDEX alerts_tenant_first_seen ON alerts (tenant, first_seen);
