-- Delivery: channels managed over the API, and deliveries skipped on purpose.

-- A tenant's own channels. The whole configuration is stored encrypted (AES-GCM under the
-- server's secret key): it holds webhook URLs, routing keys and passwords.
CREATE TABLE channels (
  tenant      text NOT NULL,
  name        text NOT NULL,
  type        text NOT NULL,
  config      text NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  created_by  text,
  updated_by  text,
  PRIMARY KEY (tenant, name)
);

-- A delivery Vigil decided not to make is kept, with the reason.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
  CHECK (status IN ('pending', 'delivered', 'failed', 'skipped'));
ALTER TABLE deliveries ADD COLUMN reason text;
CREATE INDEX deliveries_tenant_created ON deliveries (tenant, created_at DESC);
