-- Refusals while throttled are counted, not appended one by one (vault/refusals.py).
-- One open count per subject (a source address, a member's invitations); it becomes
-- one audit entry when its window closes or when the subject's next audited attempt comes.
CREATE TABLE refusal_count (
    subject       TEXT PRIMARY KEY,      -- 'ip:<address>' or 'invite:<account id>'
    action        TEXT NOT NULL,         -- the audit action the count is recorded as
    actor_key     TEXT,                  -- who the refusals named; NULL once they named several
    actor_account TEXT,
    actor_name    TEXT,                  -- an account's name or a pseudonym, never typed text
    actor_role    TEXT,
    reason        TEXT NOT NULL,         -- detail.reason of the entry
    ip            TEXT,                  -- the address of the latest refusal
    first_at      TEXT NOT NULL,
    last_at       TEXT NOT NULL,
    count         INTEGER NOT NULL CHECK (count >= 1)
) STRICT;
CREATE INDEX refusal_count_by_first ON refusal_count (first_at);
-- Throttle subjects of accounts were 'account:<typed name>'; they are now
-- 'account:<pseudonym>' (a keyed hash). The old rows held typed text: they go
-- (at worst, one day's failures per name are forgotten once, at the upgrade).
DELETE FROM login_failure WHERE subject LIKE 'account:%';
