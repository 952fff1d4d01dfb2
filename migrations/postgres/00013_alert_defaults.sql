-- +goose Up
-- The organizations given the default alert rules (core/app/alerts
-- templates): each gets them once, at creation or at the first start
-- after this migration, so a default its admin deleted stays deleted.
CREATE TABLE alert_defaults_seeded (
    org_id    uuid        PRIMARY KEY,
    seeded_at timestamptz NOT NULL,
    CONSTRAINT alert_defaults_seeded_org_fk FOREIGN KEY (org_id)
        REFERENCES organizations (id) ON DELETE CASCADE
);

