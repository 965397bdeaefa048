-- Forms (docs/format.md §5, kind 0x04; docs/items.md "Forms"): the item kind ``form`` and
-- the one thing the server sees of a form beyond an item's metadata, the id of the
-- practice's template it was filled in (``form_template_id``, a UUID drawn by the
-- practice's browser; the template's name, fields and values stay encrypted), used to count
-- forms by template in activity reports and to list a template's records.
-- The kind CHECK changes, which in SQLite means rebuilding ``item``. Unlike 0009, the tables
-- that refer to it (item_status, notification, deposit_label, and those of later branches)
-- are left in place: with foreign keys deferred, dropping ``item`` leaves their rows
-- dangling for the length of the transaction, and inserting every row back resolves them
-- before COMMIT (which fails, rolling everything back, if any were still unresolved).
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE item_copy AS SELECT * FROM item;
DROP TABLE item;

CREATE TABLE item (
    id              TEXT PRIMARY KEY,                -- UUID chosen by the depositor (signed)
    practice_id     TEXT NOT NULL REFERENCES practice (id),
    author_id       TEXT NOT NULL REFERENCES account (id),
    kind            TEXT NOT NULL
                    CHECK (kind IN ('call_note', 'message', 'extract', 'form')),
    urgency         INTEGER NOT NULL CHECK (urgency IN (0, 1, 2)),   -- low, normal, urgent
    pinned          INTEGER NOT NULL CHECK (pinned IN (0, 1)),       -- urgent and not handled
    status          TEXT NOT NULL
                    CHECK (status IN ('new', 'read', 'acknowledged', 'handled')),
    deposited_at    TEXT NOT NULL,
    envelope        BLOB NOT NULL,
    size            INTEGER NOT NULL,                -- envelope plus file stream, bytes
    blob_size       INTEGER,                         -- file stream bytes (extracts only)
    call_started_at TEXT,                            -- call notes: time tracking (DESIGN §5)
    call_seconds    INTEGER,
    form_template_id TEXT,                           -- forms only: the template's id (UUID)
    CHECK ((kind = 'extract') = (blob_size IS NOT NULL)),
    CHECK ((kind = 'form') = (form_template_id IS NOT NULL))
) STRICT;
INSERT INTO item (id, practice_id, author_id, kind, urgency, pinned, status, deposited_at,
                  envelope, size, blob_size, call_started_at, call_seconds)
    SELECT id, practice_id, author_id, kind, urgency, pinned, status, deposited_at,
           envelope, size, blob_size, call_started_at, call_seconds
    FROM temp.item_copy;
CREATE INDEX item_inbox ON item (practice_id, pinned DESC, deposited_at DESC, id DESC);
CREATE INDEX item_by_author ON item (author_id, deposited_at DESC, id DESC);
CREATE INDEX item_by_template ON item (practice_id, form_template_id, deposited_at DESC, id DESC)
    WHERE form_template_id IS NOT NULL;

DROP TABLE temp.item_copy;
