-- +goose Up
-- Self-healing: an alert rule may name a remediation (a script or a
-- built-in action, JSON) run when one of its alerts opens, at most once per
-- remediation_every_hours per (rule, device), on the authority of
-- remediation_by; each alert keeps its latest remediation.
ALTER TABLE alert_rules ADD COLUMN remediation TEXT;
ALTER TABLE alert_rules ADD COLUMN remediation_every_hours INTEGER NOT NULL DEFAULT 0
    CHECK (remediation_every_hours >= 0);
ALTER TABLE alert_rules ADD COLUMN remediation_by TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN remediation_status TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN remediation_command_id TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN remediation_run_id TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN remediation_at INTEGER;
-- The period check: remediations of one (rule, device) by time.
CREATE INDEX alerts_remediation_idx ON alerts (rule_id, device_id, remediation_at) WHERE remediation_at IS NOT NULL;

-- +goose Down
DROP INDEX alerts_remediation_idx;
ALTER TABLE alerts DROP COLUMN remediation_at;
ALTER TABLE alerts DROP COLUMN remediation_run_id;
ALTER TABLE alerts DROP COLUMN remediation_command_id;
ALTER TABLE alerts DROP COLUMN remediation_status;
ALTER TABLE alert_rules DROP COLUMN remediation_by;
ALTER TABLE alert_rules DROP COLUMN remediation_every_hours;
ALTER TABLE alert_rules DROP COLUMN remediation;
