"""Pseudonyms: a keyed hash that stands for a typed name the vault must not keep.

A name typed at sign-in that is no account — a typo, a guess, a password typed
into the wrong field — is recorded as its pseudonym: keyed BLAKE2b-128 of the
name's UTF-8 bytes, under a key derived from the server secret with a fixed
label. The same name always has the same pseudonym on one vault (so repeated
failures line up in the audit log); without the server secret a pseudonym
cannot be reversed, nor checked against a guessed name.
"""

from __future__ import annotations

from crypto import _primitives
from crypto.secret import Secret

PSEUDONYM_KEY_LABEL = b"permanence/v1/name-pseudonym-key\0"
PSEUDONYM_BYTES = 16


def pseudonym_key(server_secret: Secret) -> Secret:
    """The 32-byte key of name pseudonyms: keyed BLAKE2b-256 of the label under the secret."""
    return Secret(_primitives.generichash(32, PSEUDONYM_KEY_LABEL, key=server_secret.value))


def name_pseudonym(server_secret: Secret, name: str) -> str:
    """The name's pseudonym, 32 lowercase hex digits (the caller normalises the name first).

    Lone surrogates (which no UTF-8 text holds) are encoded as such rather than refused,
    so that any string a request can carry has a pseudonym.
    """
    message = name.encode("utf-8", "surrogatepass")
    key = pseudonym_key(server_secret).value
    return _primitives.generichash(PSEUDONYM_BYTES, message, key=key).hex()
