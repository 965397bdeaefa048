"""A practice's team key and the documents written under it (docs/format.md §10).

The server never holds a team key: it stores what members' browsers signed and
sealed (records, grants) and the authors' signed envelopes, checks what it can
without a key, decides who may reach a practice's team, and tells when someone
lost access so that the next version is made without them.
"""
