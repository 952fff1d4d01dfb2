-- +goose Up
-- Agent rollouts (00025) behind the wall of 00026: a rollout is its
-- partner's, or its org's when org-scoped (org_id is text there, '' when
-- partner-wide); a rollout's device rows are visible when the device is.
ALTER TABLE agent_rollouts ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_rollout_devices ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_wall ON agent_rollouts
    USING (partner_id = ANY ((SELECT nullif(current_setting('breeze.tenant_ids', true), '')::uuid[])::uuid[])
        OR org_id = ANY ((SELECT nullif(current_setting('breeze.tenant_ids', true), '')::uuid[])::text[]))
    WITH CHECK (partner_id = ANY ((SELECT nullif(current_setting('breeze.tenant_ids', true), '')::uuid[])::uuid[])
        OR org_id = ANY ((SELECT nullif(current_setting('breeze.tenant_ids', true), '')::uuid[])::text[]));

CREATE POLICY tenant_wall ON agent_rollout_devices
    USING (device_id IN (SELECT id FROM devices))
    WITH CHECK (device_id IN (SELECT id FROM devices));
