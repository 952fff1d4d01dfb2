-- +goose Up
-- Agent rollouts (00025) and device certificates (00024) behind the wall of
-- 00026: a rollout is its partner's, or its org's when org-scoped (org_id is
-- text there, '' when partner-wide); a rollout's device rows and a device's
-- certificates are visible when the device is. The CAs (agent_cas) are the
-- platform's, like plugins: no policy.
ALTER TABLE agent_rollouts ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_rollout_devices ENABLE ROW LEVEL SECURITY;
ALTER TABLE device_certs ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_wall ON agent_rollouts
    USING (partner_id = ANY ((SELECT nullif(current_setting('breeze.tenant_ids', true), '')::uuid[])::uuid[])
        OR org_id = ANY ((SELECT nullif(current_setting('breeze.tenant_ids', true), '')::uuid[])::text[]))
    WITH CHECK (partner_id = ANY ((SELECT nullif(current_setting('breeze.tenant_ids', true), '')::uuid[])::uuid[])
        OR org_id = ANY ((SELECT nullif(current_setting('breeze.tenant_ids', true), '')::uuid[])::text[]));

CREATE POLICY tenant_wall ON agent_rollout_devices
    USING (device_id IN (SELECT id FROM devices))
    WITH CHECK (device_id IN (SELECT id FROM devices));

CREATE POLICY tenant_wall ON device_certs
    USING (device_id IN (SELECT id FROM devices))
    WITH CHECK (device_id IN (SELECT id FROM devices));
