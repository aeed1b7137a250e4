-- Rule authoring: disabled rules, JSON policies, the audit log, and why an alert was not delivered.

-- Rules switched off over the API; kept across restarts. A rule absent here is enabled.
CREATE TABLE rule_states (
  rule        text PRIMARY KEY,
  enabled     boolean NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  updated_by  text
);

-- JSON policies, per tenant, compiled to DRL rules guarded by their tenant.
CREATE TABLE policies (
  id          text PRIMARY KEY,
  tenant      text NOT NULL,
  name        text NOT NULL,
  body        jsonb NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  created_by  text,
  updated_by  text,
  UNIQUE (tenant, name)
);

-- Every change to rules, policies, keys and alerts: who, when, what, and how it went.
CREATE TABLE audit_log (
  id            bigserial PRIMARY KEY,
  at            timestamptz NOT NULL DEFAULT now(),
  actor         text,
  tenant        text,
  action        text NOT NULL,
  target        text,
  content_hash  text,
  result        text NOT NULL,
  details       jsonb
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant, at DESC);

ALTER TABLE alerts ADD COLUMN suppressed_reason text;
