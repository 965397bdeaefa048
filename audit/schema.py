"""The audit log's tables and guard triggers, as one migration's SQL.

``vault.storage.migrate`` applies ``SCHEMA_SQL`` as a numbered migration: statements
end with ``;`` and every trigger ends with ``END;`` at the end of a line.

The triggers only catch bugs (an attacker with the database key can drop
them); the signed Merkle tree is what catches an operator who rewrites history.
"""

from __future__ import annotations

ENTRIES = "audit_entries"
NODES = "audit_nodes"
CHECKPOINTS = "audit_checkpoints"
COSIGNATURES = "audit_cosignatures"
TABLES = (ENTRIES, NODES, CHECKPOINTS, COSIGNATURES)


SCHEMA_SQL = """\
-- Audit log (docs/audit.md): leaves, stored perfect-subtree hashes, signed checkpoints.
CREATE TABLE audit_entries (
    idx  INTEGER PRIMARY KEY,
    leaf BLOB NOT NULL,
    hash BLOB NOT NULL
) STRICT;
CREATE TABLE audit_nodes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;
CREATE TABLE audit_checkpoints (
    seq       INTEGER PRIMARY KEY,
    size      INTEGER NOT NULL,
    root      BLOB NOT NULL,
    note      TEXT NOT NULL,
    issued_at TEXT NOT NULL
) STRICT;
CREATE TABLE audit_cosignatures (
    seq      INTEGER NOT NULL REFERENCES audit_checkpoints (seq),
    verifier TEXT NOT NULL,
    line     TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (seq, verifier)
) STRICT;
CREATE TRIGGER audit_entries_next BEFORE INSERT ON audit_entries
WHEN NEW.idx IS NOT (SELECT coalesce(max(idx) + 1, 0) FROM audit_entries)
BEGIN SELECT RAISE(ABORT, 'audit: an entry may only be inserted at the next index');
END;
CREATE TRIGGER audit_nodes_next BEFORE INSERT ON audit_nodes
WHEN NEW.level < 1
  OR NEW.idx IS NOT (SELECT coalesce(max(idx) + 1, 0) FROM audit_nodes WHERE level = NEW.level)
  OR ((NEW.idx + 1) << NEW.level) > (SELECT coalesce(max(idx) + 1, 0) FROM audit_entries)
BEGIN SELECT RAISE(ABORT, 'audit: a subtree hash may only be inserted once complete, in order');
END;
CREATE TRIGGER audit_checkpoints_next BEFORE INSERT ON audit_checkpoints
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq) + 1, 0) FROM audit_checkpoints)
  OR NEW.size < (SELECT coalesce(max(size), 0) FROM audit_checkpoints)
  OR NEW.size > (SELECT coalesce(max(idx) + 1, 0) FROM audit_entries)
BEGIN SELECT RAISE(ABORT, 'audit: a checkpoint may only be inserted next, never shrinking');
END;
CREATE TRIGGER audit_cosignatures_once BEFORE INSERT ON audit_cosignatures
WHEN EXISTS (SELECT 1 FROM audit_cosignatures WHERE seq = NEW.seq AND verifier = NEW.verifier)
BEGIN SELECT RAISE(ABORT, 'audit: a cosignature is stored once and never replaced');
END;
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit: audit_entries is append-only (UPDATE refused)');
END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit: audit_entries is append-only (DELETE refused)');
END;
CREATE TRIGGER audit_nodes_no_update BEFORE UPDATE ON audit_nodes
BEGIN SELECT RAISE(ABORT, 'audit: audit_nodes is append-only (UPDATE refused)');
END;
CREATE TRIGGER audit_nodes_no_delete BEFORE DELETE ON audit_nodes
BEGIN SELECT RAISE(ABORT, 'audit: audit_nodes is append-only (DELETE refused)');
END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit: audit_checkpoints is append-only (UPDATE refused)');
END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit: audit_checkpoints is append-only (DELETE refused)');
END;
CREATE TRIGGER audit_cosignatures_no_update BEFORE UPDATE ON audit_cosignatures
BEGIN SELECT RAISE(ABORT, 'audit: audit_cosignatures is append-only (UPDATE refused)');
END;
CREATE TRIGGER audit_cosignatures_no_delete BEFORE DELETE ON audit_cosignatures
BEGIN SELECT RAISE(ABORT, 'audit: audit_cosignatures is append-only (DELETE refused)');
END;
"""
