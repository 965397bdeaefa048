-- Several server processes on one vault (docs/operations.md, "Several processes"): what
-- one process used to keep in its memory lives here, so that any process answers.
--
-- job_lease: a background job that runs in one process at a time (the witnesses'
-- submissions), or once a period across processes (orphan collection), is leased by
-- name (vault/leases.py): ``holder`` (a process's random id) owns it until ``until``.
CREATE TABLE job_lease (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  TEXT NOT NULL          -- RFC 3339 UTC
) STRICT;
-- audit_export: the console's one-time export handles (vault/auditing/export.py), by the
-- SHA-256 of the handle (never the handle itself), for the account that asked, five
-- minutes; a handle redeemed or expired is deleted.
CREATE TABLE audit_export (
    handle_hash BLOB PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES account(id),
    created_at  TEXT NOT NULL,    -- RFC 3339 UTC
    size        INTEGER NOT NULL, -- entries covered by the checkpoint signed for it
    seq         INTEGER NOT NULL  -- that checkpoint's number
) STRICT;
-- audit_verification: the console's "verify now" runs (vault/auditing/verification.py)
-- and their progress, written by the process running it (``holder``) at least every
-- few seconds (``updated_at``); a run not finished whose progress stopped is shown
-- interrupted. The outcome itself is the run's audit.verified entry.
CREATE TABLE audit_verification (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES account(id),
    holder       TEXT NOT NULL,
    started_at   TEXT NOT NULL,   -- RFC 3339 UTC
    updated_at   TEXT NOT NULL,   -- RFC 3339 UTC
    done         INTEGER NOT NULL DEFAULT 0,
    total        INTEGER NOT NULL DEFAULT 0,
    finished     INTEGER NOT NULL DEFAULT 0 CHECK (finished IN (0, 1)),
    ok           INTEGER CHECK (ok IN (0, 1)),
    size         INTEGER NOT NULL DEFAULT 0,
    checkpoints  INTEGER NOT NULL DEFAULT 0,
    cosignatures INTEGER NOT NULL DEFAULT 0,
    pruned       INTEGER NOT NULL DEFAULT 0,
    bad_index    INTEGER,
    problem      TEXT,
    recorded_at  INTEGER          -- index of the run's audit.verified entry
) STRICT;
CREATE INDEX audit_verification_account ON audit_verification (account_id, started_at);
