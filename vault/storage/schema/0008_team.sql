-- Team keys and the documents written under them (docs/format.md §10). The server
-- holds no team key: records, signatures and grants are what members' browsers
-- signed and sealed; envelopes are ciphertext signed by their authors.
CREATE TABLE team_key_record (
    practice_id TEXT NOT NULL REFERENCES practice (id),
    version     INTEGER NOT NULL CHECK (version >= 1),
    seq         INTEGER NOT NULL CHECK (seq >= 1),  -- 1: the version made, then each record adding recipients
    record      BLOB NOT NULL,                       -- §10 record bytes (recipients inside)
    signature   BLOB NOT NULL,
    creator_id  TEXT NOT NULL REFERENCES account (id),
    key_commit  BLOB NOT NULL,                       -- the record's commit, the same for every seq
    stored_at   TEXT NOT NULL,
    PRIMARY KEY (practice_id, version, seq)
) STRICT;

CREATE TABLE team_key_grant (
    practice_id TEXT NOT NULL REFERENCES practice (id),
    version     INTEGER NOT NULL CHECK (version >= 1),
    account_id  TEXT NOT NULL REFERENCES account (id),
    sealed      BLOB NOT NULL,                       -- §4 grant, kind 0x02
    granted_by  TEXT NOT NULL REFERENCES account (id),
    stored_at   TEXT NOT NULL,
    PRIMARY KEY (practice_id, version, account_id)
) STRICT;
CREATE INDEX team_key_grant_by_account ON team_key_grant (account_id);

CREATE TABLE team_document (
    id          TEXT PRIMARY KEY,                    -- UUID drawn by the writer, signed
    practice_id TEXT NOT NULL REFERENCES practice (id),
    type        INTEGER NOT NULL CHECK (type BETWEEN 1 AND 255),
    subject_id  TEXT NOT NULL,                       -- all zeros: none
    created_by  TEXT NOT NULL REFERENCES account (id),
    revision    INTEGER NOT NULL CHECK (revision >= 1),  -- the latest stored
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX team_document_by_practice ON team_document (practice_id, type, subject_id);

CREATE TABLE team_revision (
    document_id TEXT NOT NULL REFERENCES team_document (id),
    revision    INTEGER NOT NULL CHECK (revision >= 1),
    version     INTEGER NOT NULL CHECK (version >= 1),
    author_id   TEXT NOT NULL REFERENCES account (id),
    envelope    BLOB NOT NULL,
    stored_at   TEXT NOT NULL,
    PRIMARY KEY (document_id, revision)
) STRICT;
