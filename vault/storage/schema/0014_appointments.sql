-- Appointments taken by secretaries for a practice (docs/items.md "Appointments",
-- docs/format.md §10 "Appointments"). What an appointment says (who, when, why) is never
-- here: it is the deposited item (a form) sealed to the practice key; a new time or a
-- reason the practice gives back is a REPLY document under the team key. This table holds
-- only the state, changed by the use cases of vault/planning/ (each one audited):
-- requested → confirmed | moved | declined (a decision may be changed again).
CREATE TABLE appointment (
    item_id     TEXT PRIMARY KEY REFERENCES item (id),
    practice_id TEXT NOT NULL REFERENCES practice (id),
    booked_by   TEXT NOT NULL REFERENCES account (id),
    booked_at   TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('requested', 'confirmed', 'moved', 'declined')),
    decided_by  TEXT REFERENCES account (id),
    decided_at  TEXT,
    reply_id    TEXT,                              -- the REPLY with the new time or the reason
    CHECK ((status = 'requested') = (decided_by IS NULL)),
    CHECK ((decided_by IS NULL) = (decided_at IS NULL)),
    CHECK (status NOT IN ('moved', 'declined') OR reply_id IS NOT NULL)
) STRICT;
CREATE INDEX appointment_by_practice ON appointment (practice_id, booked_at DESC, item_id);
