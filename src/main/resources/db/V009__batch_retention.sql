-- Retention prunes finished digests and held-back notices (deliveries about no single alert)
-- by age; without this it would read the whole deliveries table every pass to find them.
CREATE INDEX deliveries_batches_finished ON deliveries (updated_at) WHERE alert_id IS NULL;
