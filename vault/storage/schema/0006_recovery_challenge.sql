-- Single-use challenges of password recovery (docs/format.md §8): /recover/start
-- issues one, /recover/finish consumes it whatever the outcome. Only a hash of the
-- challenge is kept; rows past their expiry are deleted when the next one is issued.
CREATE TABLE recovery_challenge (
    challenge_hash BLOB PRIMARY KEY,
    account_id     TEXT REFERENCES account (id),  -- NULL: the name asked for is no account
    expires_at     TEXT NOT NULL
) STRICT;
CREATE INDEX recovery_challenge_by_expiry ON recovery_challenge (expires_at);
