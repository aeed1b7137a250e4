-- Noise control in delivery: digests, per-channel hourly caps, and "held back" notices.

-- Deliveries about no single alert: a digest of several alerts (kind 'digest') and the
-- notice that a rate limit held alerts back (kind 'notice'). payload says what they cover
-- (count, period or hour, rule, alert ids).
ALTER TABLE deliveries ALTER COLUMN alert_id DROP NOT NULL;
ALTER TABLE deliveries ADD COLUMN payload jsonb;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_alert_or_batch
  CHECK ((alert_id IS NULL) = (kind IN ('digest', 'notice')));

-- An alert's delivery to a digest channel waits as 'held' (reason digest_pending) until its
-- period ends; digest_id then names the digest delivery that carries it, and once that is
-- delivered or failed the held row takes its outcome (reason digest).
ALTER TABLE deliveries ADD COLUMN digest_id uuid REFERENCES deliveries (id) ON DELETE SET NULL;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
  CHECK (status IN ('pending', 'delivered', 'failed', 'skipped', 'held'));
CREATE INDEX deliveries_held ON deliveries (tenant, channel, created_at) WHERE status = 'held' AND digest_id IS NULL;
CREATE INDEX deliveries_digest ON deliveries (digest_id) WHERE digest_id IS NOT NULL;

-- Alerts let through to a channel with max_per_hour, per clock hour (UTC). Counted in the
-- transaction that writes the alert, so the cap holds across restarts and processes.
CREATE TABLE channel_hour_counts (
  tenant   text NOT NULL,
  channel  text NOT NULL,
  hour     timestamptz NOT NULL,
  alerts   integer NOT NULL,
  PRIMARY KEY (tenant, channel, hour)
);

-- Alerts held back from a channel per clock hour: by the channel's max_per_hour (rule = '')
-- or by a rule's @max_alerts_per_hour (rule = its name). After the hour ends, exactly one
-- notice is queued per row; noticed_at marks that it was (notice_id is null when the
-- channel takes no notices, such as PagerDuty).
CREATE TABLE held_back (
  tenant      text NOT NULL,
  channel     text NOT NULL,
  hour        timestamptz NOT NULL,
  rule        text NOT NULL DEFAULT '',
  count       integer NOT NULL,
  alert_ids   uuid[] NOT NULL DEFAULT '{}',
  noticed_at  timestamptz,
  notice_id   uuid,
  PRIMARY KEY (tenant, channel, hour, rule)
);
CREATE INDEX held_back_due ON held_back (hour) WHERE noticed_at IS NULL;
