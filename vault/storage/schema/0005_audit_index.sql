-- A filter index over the audit log (docs/audit.md, "Console index").
-- Derived from audit_entries, never authoritative: the leaves and the signed
-- tree are what auditors verify. Filled by a trigger in the same transaction as
-- every append, whatever code appends (server, command line), and backfilled here.
CREATE TABLE audit_index (
    idx      INTEGER PRIMARY KEY,     -- audit_entries.idx
    at       TEXT NOT NULL,           -- RFC 3339 UTC, as in the entry
    account  TEXT,                    -- actor.account
    name     TEXT,                    -- actor.name
    role     TEXT,                    -- actor.role
    practice TEXT,                    -- targets.practice (or targets.client)
    action   TEXT NOT NULL,
    outcome  TEXT NOT NULL
) STRICT;
CREATE INDEX audit_index_account ON audit_index (account, idx);
CREATE INDEX audit_index_name ON audit_index (name, idx);
CREATE INDEX audit_index_role ON audit_index (role, idx);
CREATE INDEX audit_index_practice ON audit_index (practice, idx);
CREATE INDEX audit_index_action ON audit_index (action, idx);
CREATE INDEX audit_index_outcome ON audit_index (outcome, idx);
-- First and last index of each UTC day: turns a time range into an index range,
-- exactly, even if the server's clock ever stepped back.
CREATE TABLE audit_index_day (
    day       TEXT PRIMARY KEY,       -- YYYY-MM-DD (UTC)
    first_idx INTEGER NOT NULL,
    last_idx  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TRIGGER audit_entries_index AFTER INSERT ON audit_entries
BEGIN
  INSERT INTO audit_index (idx, at, account, name, role, practice, action, outcome)
  SELECT NEW.idx, j ->> '$.at', j ->> '$.actor.account', j ->> '$.actor.name',
         j ->> '$.actor.role', coalesce(j ->> '$.targets.practice', j ->> '$.targets.client'),
         j ->> '$.action', j ->> '$.outcome'
  FROM (SELECT CAST(NEW.leaf AS TEXT) AS j);
  INSERT INTO audit_index_day (day, first_idx, last_idx)
  VALUES (substr(CAST(NEW.leaf AS TEXT) ->> '$.at', 1, 10), NEW.idx, NEW.idx)
  ON CONFLICT (day) DO UPDATE SET
    first_idx = min(first_idx, excluded.first_idx),
    last_idx = max(last_idx, excluded.last_idx);
END;
INSERT INTO audit_index (idx, at, account, name, role, practice, action, outcome)
SELECT idx, j ->> '$.at', j ->> '$.actor.account', j ->> '$.actor.name',
       j ->> '$.actor.role', coalesce(j ->> '$.targets.practice', j ->> '$.targets.client'),
       j ->> '$.action', j ->> '$.outcome'
FROM (SELECT idx, CAST(leaf AS TEXT) AS j FROM audit_entries);
INSERT INTO audit_index_day (day, first_idx, last_idx)
SELECT substr(at, 1, 10), min(idx), max(idx) FROM audit_index GROUP BY substr(at, 1, 10);
