-- Silences and maintenance windows: matchers plus a time range (optionally recurring) that
-- keep matching alerts from being delivered. A silence is never deleted: DELETE over the
-- API ends it now, so the history of what was silenced, by whom and why stays.

CREATE TABLE silences (
  id          uuid PRIMARY KEY,
  tenant      text NOT NULL,
  matchers    jsonb NOT NULL,
  starts_at   timestamptz NOT NULL,
  ends_at     timestamptz NOT NULL,
  recurrence  jsonb,
  created_by  text,
  comment     text,
  created_key text,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  expired_by  text
);
CREATE INDEX silences_tenant_created ON silences (tenant, created_at DESC);
CREATE INDEX silences_ends ON silences (ends_at);

-- The silence that holds a suppressed alert back (kept after the silence ends, as history).
ALTER TABLE alerts ADD COLUMN silence_id uuid REFERENCES silences (id);
-- The end-of-silence job looks only at alerts a silence currently holds.
CREATE INDEX alerts_silenced ON alerts (silence_id) WHERE status = 'suppressed' AND suppressed_reason = 'silenced';
