-- Twin of vault/storage/schema/0017_processes.sql (several server processes on one vault).
CREATE TABLE job_lease (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  TEXT NOT NULL
);
CREATE TABLE audit_export (
    handle_hash BYTEA PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES account (id),
    created_at  TEXT NOT NULL,
    size        BIGINT NOT NULL,
    seq         BIGINT NOT NULL
);
CREATE TABLE audit_verification (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES account (id),
    holder       TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    done         BIGINT NOT NULL DEFAULT 0,
    total        BIGINT NOT NULL DEFAULT 0,
    finished     BIGINT NOT NULL DEFAULT 0 CHECK (finished IN (0, 1)),
    ok           BIGINT CHECK (ok IN (0, 1)),
    size         BIGINT NOT NULL DEFAULT 0,
    checkpoints  BIGINT NOT NULL DEFAULT 0,
    cosignatures BIGINT NOT NULL DEFAULT 0,
    pruned       BIGINT NOT NULL DEFAULT 0,
    bad_index    BIGINT,
    problem      TEXT,
    recorded_at  BIGINT
);
CREATE INDEX audit_verification_account ON audit_verification (account_id, started_at);
