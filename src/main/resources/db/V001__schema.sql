-- Vigil schema, version 1. Never edit a shipped migration: add a new file.

-- API keys: only a hash of each token is stored; the token is shown once at creation.
CREATE TABLE api_keys (
  id          text PRIMARY KEY,
  tenant      text NOT NULL,
  scopes      text[] NOT NULL,
  token_hash  text NOT NULL UNIQUE,
  name        text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text,
  revoked_at  timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant);

-- The event journal. A row here is what "202 Accepted" promises. seq is assigned by the
-- single journal writer, so seq order is commit order and the engine can never skip a
-- committed event by reading "after seq N".
CREATE TABLE events (
  seq          bigserial PRIMARY KEY,
  tenant       text NOT NULL,
  id           text NOT NULL,
  type         text NOT NULL,
  time         timestamptz NOT NULL,
  received_at  timestamptz NOT NULL,
  body         jsonb NOT NULL,
  UNIQUE (tenant, id)
);
CREATE INDEX events_tenant_seq ON events (tenant, seq);
CREATE INDEX events_tenant_received ON events (tenant, received_at);

-- How far each tenant's engine session has processed the journal; advanced in the same
-- transaction as the alerts those events raised.
CREATE TABLE engine_positions (
  tenant      text PRIMARY KEY,
  seq         bigint NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alerts (
  id               uuid PRIMARY KEY,
  aseq             bigserial UNIQUE,
  tenant           text NOT NULL,
  rule             text NOT NULL,
  key              text NOT NULL,
  fingerprint      text NOT NULL,
  severity         text NOT NULL,
  status           text NOT NULL CHECK (status IN ('active', 'acknowledged', 'resolved', 'suppressed')),
  summary          text NOT NULL,
  tags             text[] NOT NULL DEFAULT '{}',
  template         text,
  evidence         jsonb NOT NULL DEFAULT '[]',
  first_seen       timestamptz NOT NULL,
  last_seen        timestamptz NOT NULL,
  occurrences      integer NOT NULL DEFAULT 1,
  event_seq        bigint,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  acknowledged_at  timestamptz,
  acknowledged_by  text,
  resolved_at      timestamptz,
  resolved_by      text,
  note             text
);
-- At most one open alert per fingerprint: a new raise while one is open counts an occurrence.
CREATE UNIQUE INDEX alerts_open_fingerprint ON alerts (fingerprint)
  WHERE status IN ('active', 'acknowledged', 'suppressed');
CREATE INDEX alerts_fingerprint ON alerts (fingerprint, aseq DESC);
CREATE INDEX alerts_tenant_aseq ON alerts (tenant, aseq DESC);

-- The delivery outbox: one row per (alert, channel), written in the alert's transaction.
-- A worker claims due rows with FOR UPDATE SKIP LOCKED and a lease; a row whose worker
-- died is claimed again once its lease has passed.
CREATE TABLE deliveries (
  id                uuid PRIMARY KEY,
  alert_id          uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  tenant            text NOT NULL,
  channel           text NOT NULL,
  kind              text NOT NULL DEFAULT 'raised',
  status            text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts          integer NOT NULL DEFAULT 0,
  next_attempt_at   timestamptz NOT NULL,
  lease_until       timestamptz,
  last_error        text,
  last_status_code  integer,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  delivered_at      timestamptz
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_alert ON deliveries (alert_id);

-- Every attempt, for "what was sent and what came back".
CREATE TABLE delivery_attempts (
  delivery_id  uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  attempt      integer NOT NULL,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz NOT NULL,
  outcome      text NOT NULL,
  status_code  integer,
  error        text,
  PRIMARY KEY (delivery_id, attempt)
);
