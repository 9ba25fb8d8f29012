-- ChatCluster migration 0007: the audit log and the mail outbox as tables (R1, R5, R6, R7, S1).
--
-- audit_entries: one row per audit entry, appended and never updated, so an entry costs the same
-- however many the tenant's day already holds (no per-day cap, no rewrite of a growing blob). The
-- entries name subjects by pseudonymous id only and carry no personal data (R7). Account closure
-- deletes a tenant's rows (R3). The primary key serves both reads (a tenant's day, in order) and
-- that deletion.
CREATE TABLE audit_entries
(
    tenant_id text        NOT NULL,
    at        timestamptz NOT NULL,
    entry_id  bigint      GENERATED ALWAYS AS IDENTITY,
    actor     text        NOT NULL,
    action    text        NOT NULL,
    subject   text        NOT NULL,
    detail    text        NULL,
    CONSTRAINT audit_entries_pk PRIMARY KEY (tenant_id, at, entry_id)
);

-- mail_outbox: mail kept at rest when no SMTP server is configured, where every silo reaches it, so
-- an erasure, expiry or account purge run by any silo deletes it (R1, R5, R3). message is the whole
-- MIME message sealed with AES-256-GCM under the personal-data key ring (S1), bound to its row.
-- Rows older than ChatCluster:Mail:KeepFor (two years at most) are deleted by the sweep (R6), which
-- the created_at index serves.
CREATE TABLE mail_outbox
(
    tenant_id  text        NOT NULL,
    subject_id text        NOT NULL,
    mail_id    uuid        NOT NULL,
    created_at timestamptz NOT NULL,
    message    bytea       NOT NULL,
    CONSTRAINT mail_outbox_pk PRIMARY KEY (tenant_id, subject_id, mail_id)
);

CREATE INDEX mail_outbox_created_at_ix ON mail_outbox (created_at);
