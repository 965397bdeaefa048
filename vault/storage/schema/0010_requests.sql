-- Requests from a practice to its secretaries, and the labels secretaries seal to
-- themselves beside their deposits (docs/items.md, docs/format.md §10 and §11).
-- What a request says is never here: it is a REQUEST document (docs/format.md §10)
-- encrypted under the team key; this table holds only its state, changed by the use
-- cases of vault/requests/ (each one audited): open → taken → done.
CREATE TABLE request (
    id          TEXT PRIMARY KEY,                  -- the REQUEST document's id (signed)
    practice_id TEXT NOT NULL REFERENCES practice (id),
    created_by  TEXT NOT NULL REFERENCES account (id),
    created_at  TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'taken', 'done')),
    taken_by    TEXT REFERENCES account (id),
    taken_at    TEXT,
    done_by     TEXT REFERENCES account (id),
    done_at     TEXT,
    reply_id    TEXT,                              -- the REPLY document of the done note
    CHECK ((status = 'open') = (taken_by IS NULL)),
    CHECK ((taken_by IS NULL) = (taken_at IS NULL)),
    CHECK ((status = 'done') = (done_by IS NOT NULL)),
    CHECK ((done_by IS NULL) = (done_at IS NULL)),
    CHECK ((done_by IS NULL) = (reply_id IS NULL))
) STRICT;
CREATE INDEX request_by_practice ON request (practice_id, created_at DESC, id DESC);

-- A short label a secretary wrote about one of her deposits, sealed by her browser to her
-- own X25519 key (docs/format.md §11): the server stores a sealed box it cannot open.
CREATE TABLE deposit_label (
    item_id    TEXT PRIMARY KEY REFERENCES item (id),
    author_id  TEXT NOT NULL REFERENCES account (id),
    sealed     BLOB NOT NULL,
    written_at TEXT NOT NULL
) STRICT;
