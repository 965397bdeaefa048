-- Members' verified contact details, the channels each chose per urgency, and the daily
-- digest (docs/items.md "Contact details and channels", "Daily digest"). Server metadata,
-- listed in SECURITY.md: e-mail addresses and phone numbers, never any item's content.
-- Only vault/notify/ changes these tables, each change audited in the same transaction.

-- A verified detail: the member typed the code sent to this address through this channel.
CREATE TABLE contact (
    account_id  TEXT NOT NULL REFERENCES account (id),
    channel     TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    address     TEXT NOT NULL,                    -- e-mail address, or phone number in E.164
    verified_at TEXT NOT NULL,
    PRIMARY KEY (account_id, channel)
) STRICT;

-- A code waiting to be typed: one per member and channel (a new request replaces it).
-- Only a salted hash of the code is kept; it expires and allows a few attempts.
CREATE TABLE contact_code (
    account_id TEXT NOT NULL REFERENCES account (id),
    channel    TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    address    TEXT NOT NULL,
    salt       BLOB NOT NULL,
    code_hash  BLOB NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, channel)
) STRICT;

-- The channels a member chose for an urgency ('' = none, allowed for 'normal' only).
-- No row: the default (urgent: every verified detail; normal: the e-mail).
CREATE TABLE contact_choice (
    account_id TEXT NOT NULL REFERENCES account (id),
    urgency    TEXT NOT NULL CHECK (urgency IN ('urgent', 'normal')),
    channels   TEXT NOT NULL CHECK (channels IN ('', 'email', 'sms', 'email,sms')),
    CHECK (urgency = 'normal' OR channels != ''),
    PRIMARY KEY (account_id, urgency)
) STRICT;

-- The daily digest: off unless the member turned it on; sent at local_time in the
-- practice's time zone.
CREATE TABLE digest_setting (
    account_id TEXT PRIMARY KEY REFERENCES account (id),
    enabled    INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    local_time TEXT NOT NULL CHECK (local_time GLOB '[0-2][0-9]:[0-5][0-9]')
) STRICT;

-- One row per member and local day: the primary key makes each day's digest exactly one,
-- across restarts and processes; a process claims it with a lease before sending.
CREATE TABLE digest_run (
    account_id    TEXT NOT NULL REFERENCES account (id),
    day           TEXT NOT NULL,                  -- YYYY-MM-DD in the practice's time zone
    status        TEXT NOT NULL CHECK (status IN ('pending', 'sent')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       TEXT NOT NULL,
    leased_until  TEXT,
    created_at    TEXT NOT NULL,
    sent_at       TEXT,
    PRIMARY KEY (account_id, day)
) STRICT;
CREATE INDEX digest_run_due ON digest_run (status, next_at);
