-- +goose Up
-- A device is an agent (enrolled, runs the agent) or a network device: a
-- tracked discovery asset its site's agents watch (issue 16).
ALTER TABLE devices ADD COLUMN kind text NOT NULL DEFAULT 'agent' CHECK (kind IN ('agent', 'network'));
CREATE INDEX devices_kind_idx ON devices (org_id, kind) WHERE kind = 'network';

-- +goose Down
DROP INDEX IF EXISTS devices_kind_idx;
ALTER TABLE devices DROP COLUMN kind;
