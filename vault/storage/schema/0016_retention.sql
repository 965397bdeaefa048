-- Retention of the audit log (docs/audit.md, "Retention"): entries older than the
-- retention period lose their content (``leaf`` set to NULL) while their leaf hash and
-- every subtree hash stay, so the tree and every checkpoint still verify. The one row of
-- audit_retention holds the minimum index: entries below it are pruned, from it readable
-- (C2SP tlog-tiles' "minimum index"). ``leaf`` becomes nullable, which in SQLite means
-- rebuilding audit_entries: copied aside, dropped (its triggers go with it), created
-- again under its name, filled back, and its triggers created again, changed only so
-- that pruning, in order, below the minimum index, is the one UPDATE allowed.
CREATE TEMP TABLE audit_entries_copy AS SELECT idx, leaf, hash FROM audit_entries;
DROP TRIGGER audit_entries_no_delete;
DROP TRIGGER audit_entries_no_update;
DROP TRIGGER audit_entries_next;
DROP TRIGGER audit_entries_index;
DROP TABLE audit_entries;
CREATE TABLE audit_entries (
    idx  INTEGER PRIMARY KEY,
    leaf BLOB,                -- NULL once pruned (idx < audit_retention.min_index)
    hash BLOB NOT NULL
) STRICT;
INSERT INTO audit_entries (idx, leaf, hash)
    SELECT idx, leaf, hash FROM temp.audit_entries_copy ORDER BY idx;
DROP TABLE temp.audit_entries_copy;
CREATE TABLE audit_retention (
    id         INTEGER PRIMARY KEY CHECK (id = 0),
    min_index  INTEGER NOT NULL CHECK (min_index >= 0),  -- entries below it are pruned
    months     INTEGER NOT NULL CHECK (months BETWEEN 1 AND 1200),  -- the period applied
    pruned_at  TEXT                                       -- RFC 3339 UTC of the last pruning
) STRICT;
INSERT INTO audit_retention (id, min_index, months, pruned_at) VALUES (0, 0, 12, NULL);
CREATE TRIGGER audit_entries_next BEFORE INSERT ON audit_entries
WHEN NEW.idx IS NOT (SELECT coalesce(max(idx) + 1, 0) FROM audit_entries) OR NEW.leaf IS NULL
BEGIN SELECT RAISE(ABORT, 'audit: an entry may only be inserted at the next index');
END;
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
-- Pruning: the content of an entry below the minimum index goes, once, in index order
-- (the entry before it already pruned); its index and leaf hash never change.
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
WHEN NOT (
  NEW.idx IS OLD.idx AND NEW.hash IS OLD.hash AND NEW.leaf IS NULL AND OLD.leaf IS NOT NULL
  AND OLD.idx < (SELECT min_index FROM audit_retention WHERE id = 0)
  AND (OLD.idx = 0 OR (SELECT leaf FROM audit_entries WHERE idx = OLD.idx - 1) IS NULL)
)
BEGIN SELECT RAISE(ABORT, 'audit: audit_entries is append-only (UPDATE refused; only pruning below the minimum index, in order)');
END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit: audit_entries is append-only (DELETE refused)');
END;
-- The minimum index only rises, never past the log's end, and only over entries whose
-- content is still there and older than ``months`` before the newest entry.
CREATE TRIGGER audit_retention_rise BEFORE UPDATE ON audit_retention
WHEN NEW.id IS NOT OLD.id
  OR NEW.min_index < OLD.min_index
  OR NEW.min_index > (SELECT coalesce(max(idx) + 1, 0) FROM audit_entries)
  OR EXISTS (
    SELECT 1 FROM audit_entries
    WHERE idx >= OLD.min_index AND idx < NEW.min_index
      AND (leaf IS NULL OR (CAST(leaf AS TEXT) ->> '$.at') >= (
        SELECT strftime('%Y-%m-%dT%H:%M:%fZ', CAST(leaf AS TEXT) ->> '$.at',
                        '-' || NEW.months || ' months')
        FROM audit_entries WHERE leaf IS NOT NULL ORDER BY idx DESC LIMIT 1))
  )
BEGIN SELECT RAISE(ABORT, 'audit: the minimum index only rises, over entries older than the retention period');
END;
CREATE TRIGGER audit_retention_no_insert BEFORE INSERT ON audit_retention
BEGIN SELECT RAISE(ABORT, 'audit: audit_retention holds one row (INSERT refused)');
END;
CREATE TRIGGER audit_retention_no_delete BEFORE DELETE ON audit_retention
BEGIN SELECT RAISE(ABORT, 'audit: audit_retention holds one row (DELETE refused)');
END;
