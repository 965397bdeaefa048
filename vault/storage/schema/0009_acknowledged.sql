-- Items can be acknowledged ("Pris en charge": a member is dealing with it) before they are
-- handled, and a recent change can be undone (docs/items.md). Both status CHECK constraints
-- change, which in SQLite means rebuilding the tables: item is referenced by item_status and
-- notification, so the three are copied aside, dropped children first (no foreign key is
-- ever broken inside the transaction), created again under their names and filled back.
-- item_status gains ``undo``: 1 on the row that records an undo (back to that status).
CREATE TEMP TABLE item_copy AS SELECT * FROM item;
CREATE TEMP TABLE item_status_copy AS SELECT rowid AS rid, * FROM item_status;
CREATE TEMP TABLE notification_copy AS SELECT * FROM notification;
DROP TABLE notification;
DROP TABLE item_status;
DROP TABLE item;

CREATE TABLE item (
    id              TEXT PRIMARY KEY,                -- UUID chosen by the depositor (signed)
    practice_id     TEXT NOT NULL REFERENCES practice (id),
    author_id       TEXT NOT NULL REFERENCES account (id),
    kind            TEXT NOT NULL CHECK (kind IN ('call_note', 'message', 'extract')),
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
    CHECK ((kind = 'extract') = (blob_size IS NOT NULL))
) STRICT;
INSERT INTO item SELECT * FROM temp.item_copy;
CREATE INDEX item_inbox ON item (practice_id, pinned DESC, deposited_at DESC, id DESC);
CREATE INDEX item_by_author ON item (author_id, deposited_at DESC, id DESC);

CREATE TABLE item_status (
    item_id    TEXT NOT NULL REFERENCES item (id),
    status     TEXT NOT NULL CHECK (status IN ('new', 'read', 'acknowledged', 'handled')),
    account_id TEXT NOT NULL REFERENCES account (id),
    at         TEXT NOT NULL,
    undo       INTEGER NOT NULL DEFAULT 0 CHECK (undo IN (0, 1))  -- 1: an undo, back to status
) STRICT;
INSERT INTO item_status (rowid, item_id, status, account_id, at)
    SELECT rid, item_id, status, account_id, at FROM temp.item_status_copy ORDER BY rid;
CREATE INDEX item_status_by_item ON item_status (item_id, at);

CREATE TABLE notification (
    id           INTEGER PRIMARY KEY,
    item_id      TEXT NOT NULL REFERENCES item (id),
    practice_id  TEXT NOT NULL REFERENCES practice (id),
    account_id   TEXT NOT NULL REFERENCES account (id),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'sent')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    sent_at      TEXT
) STRICT;
INSERT INTO notification SELECT * FROM temp.notification_copy;
CREATE INDEX notification_due ON notification (status, next_at);

DROP TABLE temp.item_copy;
DROP TABLE temp.item_status_copy;
DROP TABLE temp.notification_copy;
