-- Accounts, practices, invitations, sessions, key grants, assignments, throttling.
CREATE TABLE practice (
    id          TEXT PRIMARY KEY,            -- UUID
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    public_key  BLOB,                        -- X25519, set by the first member's browser
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE account (
    id               TEXT PRIMARY KEY,       -- UUID
    username         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name     TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('member', 'secretary', 'auditor', 'admin')),
    practice_id      TEXT REFERENCES practice (id),
    status           TEXT NOT NULL CHECK (status IN ('invited', 'active', 'disabled')),
    language         TEXT,
    kdf_salt         BLOB,
    kdf_ops          INTEGER,
    kdf_mem          INTEGER,
    auth_hash        TEXT,                   -- argon2id PHC string of auth_key
    x25519_pk        BLOB,
    ed25519_pk       BLOB,
    wrapped_kek      BLOB,                   -- user secret keys wrapped under kek
    wrapped_recovery BLOB,                   -- the same wrapped under the recovery key
    totp_secret      BLOB,
    totp_last_step   INTEGER NOT NULL DEFAULT -1,
    pending_totp     BLOB,                   -- offered during enrolment, not yet confirmed
    must_reenroll_totp INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    enrolled_at      TEXT,
    disabled_at      TEXT,
    CHECK ((role = 'member') = (practice_id IS NOT NULL))
) STRICT;

CREATE TABLE invitation (
    token_hash  BLOB PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES account (id),
    created_by  TEXT REFERENCES account (id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
) STRICT;

CREATE TABLE backup_code (
    account_id  TEXT NOT NULL REFERENCES account (id),
    code_hash   BLOB NOT NULL,
    used_at     TEXT,
    PRIMARY KEY (account_id, code_hash)
) STRICT;

CREATE TABLE session (
    id_hash      BLOB PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES account (id),
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ip           TEXT,
    user_agent   TEXT,
    revoked_at   TEXT
) STRICT;
CREATE INDEX session_by_account ON session (account_id);

CREATE TABLE practice_grant (
    practice_id TEXT NOT NULL REFERENCES practice (id),
    account_id  TEXT NOT NULL REFERENCES account (id),
    sealed      BLOB NOT NULL,               -- docs/format.md §4
    granted_by  TEXT REFERENCES account (id),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (practice_id, account_id)
) STRICT;

CREATE TABLE assignment (
    secretary_id TEXT NOT NULL REFERENCES account (id),
    practice_id  TEXT NOT NULL REFERENCES practice (id),
    created_by   TEXT REFERENCES account (id),
    created_at   TEXT NOT NULL,
    PRIMARY KEY (secretary_id, practice_id)
) STRICT;

CREATE TABLE login_failure (
    subject TEXT NOT NULL,                   -- 'account:<lowercase name>' or 'ip:<address>'
    at      TEXT NOT NULL
) STRICT;
CREATE INDEX login_failure_by_subject ON login_failure (subject, at);
