-- The on-call ladder of each practice, the escalation of each urgent item and its
-- delivery trail (docs/items.md "On-call ladder and escalation"). Server metadata only:
-- which member accounts are on call when, who was told by which channel and when, never
-- a word of an item (SECURITY.md lists it).

-- One row per practice that has a ladder: how long to wait for an acknowledgement
-- before the next rung, and the time zone its days and hours are read in.
CREATE TABLE oncall_ladder (
    practice_id   TEXT PRIMARY KEY REFERENCES practice (id),
    delay_seconds INTEGER NOT NULL CHECK (delay_seconds BETWEEN 1 AND 86400),
    timezone      TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    updated_by    TEXT NOT NULL REFERENCES account (id)
) STRICT;

-- The rungs, in order (position 0 first). ``days`` holds ISO weekdays '1'..'7' (Monday
-- is 1); minutes from local midnight; an end before the start runs past midnight (the
-- night belongs to the day it starts on); start = end means all day.
CREATE TABLE oncall_rung (
    practice_id  TEXT NOT NULL REFERENCES oncall_ladder (practice_id),
    position     INTEGER NOT NULL CHECK (position >= 0),
    account_id   TEXT NOT NULL REFERENCES account (id),
    days         TEXT NOT NULL CHECK (length(days) BETWEEN 1 AND 7),
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute   INTEGER NOT NULL CHECK (end_minute BETWEEN 0 AND 1439),
    PRIMARY KEY (practice_id, position)
) STRICT;

-- One escalation per urgent item. ``step`` is the next step to run (0: the first person
-- on call), due at ``next_at``; ``ended`` once acknowledged or once every member and the
-- depositing secretary have been told (``outcome``).
CREATE TABLE escalation (
    item_id     TEXT PRIMARY KEY,                  -- the item (no foreign key: 0013 rebuilds item)
    practice_id TEXT NOT NULL REFERENCES practice (id),
    author_id   TEXT NOT NULL REFERENCES account (id),
    state       TEXT NOT NULL CHECK (state IN ('running', 'ended')),
    outcome     TEXT CHECK (outcome IN ('acknowledged', 'exhausted')),
    step        INTEGER NOT NULL DEFAULT 0,
    next_at     TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    acknowledged_at TEXT,                          -- the first "Pris en charge"
    acknowledged_by TEXT REFERENCES account (id)
) STRICT;
CREATE INDEX escalation_due ON escalation (state, next_at);

-- Every message sent (or being sent) for an escalation: the trail. ``account_id`` is the
-- recipient (NULL for the practice's webhook); ``claimed_by`` / ``claimed_until`` is the
-- lease a server process takes, in a write transaction, before it sends: another process
-- leaves the row alone until the lease expires. The notification
-- link is /n/<id>.<HMAC of the id under the server secret>: opening it marks ``opened_at``.
CREATE TABLE delivery (
    id            INTEGER PRIMARY KEY,
    item_id       TEXT NOT NULL REFERENCES escalation (item_id),
    step          INTEGER NOT NULL,
    account_id    TEXT REFERENCES account (id),
    purpose       TEXT NOT NULL CHECK (purpose IN ('urgent', 'unacknowledged', 'acknowledged')),
    channel       TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'webhook')),
    address       TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'cancelled')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    sent_at       TEXT,
    failed_at     TEXT,
    opened_at     TEXT,
    claimed_by    TEXT,
    claimed_until TEXT
) STRICT;
CREATE INDEX delivery_due ON delivery (state, next_at);
CREATE INDEX delivery_by_item ON delivery (item_id, id);

-- Urgent items still waiting in the old mail queue (vault/items/notifications.py, gone)
-- are escalated instead, from their first step, at the server's first round; nothing
-- writes to ``notification`` any more.
INSERT INTO escalation (item_id, practice_id, author_id, state, step, next_at, started_at)
    SELECT i.id, i.practice_id, i.author_id, 'running', 0, min(n.next_at), min(n.created_at)
    FROM notification n JOIN item i ON i.id = n.item_id
    WHERE n.status = 'pending' AND i.status NOT IN ('acknowledged', 'handled')
    GROUP BY i.id;
