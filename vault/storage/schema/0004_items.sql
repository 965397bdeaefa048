-- Items (call notes, messages, extracts), their status history, resumable uploads,
-- the per-practice access index and the notification queue (docs/items.md).
-- Content is never here in clear: ``envelope`` is docs/format.md §5 ciphertext, and an
-- extract's file stream lives in the blob directory under the item's id.
CREATE TABLE item (
    id              TEXT PRIMARY KEY,                -- UUID chosen by the depositor (signed)
    practice_id     TEXT NOT NULL REFERENCES practice (id),
    author_id       TEXT NOT NULL REFERENCES account (id),
    kind            TEXT NOT NULL CHECK (kind IN ('call_note', 'message', 'extract')),
    urgency         INTEGER NOT NULL CHECK (urgency IN (0, 1, 2)),   -- low, normal, urgent
    pinned          INTEGER NOT NULL CHECK (pinned IN (0, 1)),       -- urgent and not handled
    status          TEXT NOT NULL CHECK (status IN ('new', 'read', 'handled')),
    deposited_at    TEXT NOT NULL,
    envelope        BLOB NOT NULL,
    size            INTEGER NOT NULL,                -- envelope plus file stream, bytes
    blob_size       INTEGER,                         -- file stream bytes (extracts only)
    call_started_at TEXT,                            -- call notes: time tracking (DESIGN §5)
    call_seconds    INTEGER,
    CHECK ((kind = 'extract') = (blob_size IS NOT NULL))
) STRICT;
CREATE INDEX item_inbox ON item (practice_id, pinned DESC, deposited_at DESC, id DESC);
CREATE INDEX item_by_author ON item (author_id, deposited_at DESC, id DESC);

CREATE TABLE item_status (
    item_id    TEXT NOT NULL REFERENCES item (id),
    status     TEXT NOT NULL CHECK (status IN ('new', 'read', 'handled')),
    account_id TEXT NOT NULL REFERENCES account (id),
    at         TEXT NOT NULL
) STRICT;
CREATE INDEX item_status_by_item ON item_status (item_id, at);

CREATE TABLE upload (
    id          TEXT PRIMARY KEY,                    -- UUID chosen by the server
    item_id     TEXT NOT NULL,
    practice_id TEXT NOT NULL REFERENCES practice (id),
    author_id   TEXT NOT NULL REFERENCES account (id),
    total       INTEGER NOT NULL,
    received    INTEGER NOT NULL DEFAULT 0,          -- bytes durable in blobs/tmp/<id>
    created_at  TEXT NOT NULL,
    UNIQUE (author_id, item_id)
) STRICT;

CREATE TABLE practice_access (
    practice_id TEXT NOT NULL REFERENCES practice (id),
    at          TEXT NOT NULL,
    action      TEXT NOT NULL,
    account_id  TEXT,
    item_id     TEXT,
    audit_index INTEGER NOT NULL
) STRICT;
CREATE INDEX practice_access_by_practice ON practice_access (practice_id, audit_index DESC);

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
CREATE INDEX notification_due ON notification (status, next_at);
