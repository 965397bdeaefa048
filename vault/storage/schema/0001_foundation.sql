-- The vault's own facts: its id, when it was created, the format version.
CREATE TABLE vault_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
