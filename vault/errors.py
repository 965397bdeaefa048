"""Errors of the vault package.

Each leaf names a situation a person can act on; ``web`` and ``cli`` turn them
into a 4xx page or a one-sentence message, in French and English.
"""

from __future__ import annotations


class VaultError(Exception):
    """Base of every error raised by ``vault``; never raised directly."""


class StoreError(VaultError):
    """The database could not be used."""


class WrongKey(StoreError):
    """The database key does not open this database (or the file is not a database)."""


class CorruptDatabase(StoreError):
    """The database file is damaged."""


class WriteFailed(StoreError):
    """A write transaction failed and was rolled back; nothing of it was kept."""


class DataDirError(VaultError):
    """The data directory is missing, unsafe or already initialised."""


class ConfigError(VaultError):
    """A setting is missing or invalid."""


class Refused(VaultError):
    """A request the vault will not carry out (``web/errors.py`` chooses its HTTP status).

    The message is a fixed English sentence (a message id the web layer translates);
    it never carries user data. ``field`` names the form field the refusal is about, if
    one (``"code"``, ``"username"``…): the page ties the sentence to that field.
    """

    message = "The request was refused."
    field: str | None = None

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message or self.message)
        if field is not None:
            self.field = field


class InvalidInput(Refused):
    message = "Some of the information sent is missing or invalid."


class TooLarge(Refused):
    """A request body over the route's bound, refused before more of it is read."""

    message = "What you sent is larger than this vault accepts."


class TooSlow(Refused):
    """A request body that did not arrive within ``body_timeout_seconds``."""

    message = "What you sent arrived too slowly; please try again."


class NotFound(Refused):
    """Also what someone gets for another practice's ids: no hint that they exist."""

    message = "There is nothing at this address."


class Forbidden(Refused):
    message = "You are not allowed to do this."


class Pruned(Refused):
    """An audit entry below the minimum index: retention removed its content (410)."""

    message = (
        "This audit entry is older than the log's retention period: its content was deleted"
        " and only its hash is kept, so the log still verifies."
    )


class Conflict(Refused):
    message = "This was already done."


class LoginFailed(Refused):
    """One message whatever failed: unknown name, wrong password, wrong or reused code."""

    message = "Sign-in failed: check your username, password and code."


class Throttled(Refused):
    message = "Too many failed attempts. Please wait before trying again."

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


class InvitationLimit(Throttled):
    """A member who invited ``MEMBER_INVITATIONS_PER_DAY`` colleagues in the last 24 hours."""

    message = "You have invited as many colleagues as allowed in 24 hours: please try again later."


class InvitationInvalid(Refused):
    message = "This invitation link is not valid: it was used already, has expired, or is wrong."


class SecondFactorRequired(Refused):
    message = "Please confirm with a current code from your authenticator app."
    field = "code"


class CodeJustUsed(SecondFactorRequired):
    """A current code, but the one this account used last (to sign in, say): never twice."""

    message = (
        "This code has just been used: wait for the next code from your authenticator app"
        " and enter it."
    )


class AccountDisabled(Refused):
    """Right password and code, but an admin disabled the account (told only then: the
    message is no oracle for someone who does not hold both)."""

    message = "This account is disabled: contact your administrator."


class FileUnavailable(Refused):
    """A stored file the database refers to cannot be read (storage trouble, not the user's)."""

    message = (
        "This file cannot be read right now. Please try again later or tell the administrator."
    )


class AuthenticationRequired(Refused):
    message = "Please sign in."


class AuthenticatorReenrolmentRequired(Refused):
    """A session opened with a backup code: nothing else until a new authenticator is set up."""

    message = "You signed in with a backup code: set up your authenticator app again first."


class AwaitingPracticeKey(Refused):
    """A member no colleague has granted the practice key yet (the grant is the approval)."""

    message = (
        "A colleague must share the practice key with you before you can see the practice's items."
    )


class RequestTaken(Conflict):
    """A request another secretary took (or already marked done): who and when, so that the
    second secretary does not call too. The sentence stays fixed; the web and the command
    line add the name and time from ``by`` and ``at``."""

    message = "Another secretary already took this request."
    done_message = "This request was already marked done."

    def __init__(self, by: str = "", at: str = "", done: bool = False) -> None:
        super().__init__(self.done_message if done else self.message)
        self.by = by
        self.at = at
        self.done = done


class CodeRefused(Refused):
    """A contact detail's verification code that is wrong, expired or tried too often (the
    sentence says which, and what to do: type it again, or ask for a new code)."""

    message = "This code is not the one we sent: check it and type it again."
    field = "code"


class CodeNotSent(Refused):
    """The verification code could not be handed to the mail server or SMS gateway."""

    message = "The code could not be sent: check the address, or try again in a few minutes."
    field = "address"


class CodeResendTooSoon(Throttled):
    """A new verification code asked for within a minute of the last one (``retry_after``)."""

    message = "A code was sent less than a minute ago: wait a moment before asking for another."
    field = "address"


class FileStoreUnavailable(FileUnavailable):
    """The blob store cannot be used: the object store is unreachable, refuses the vault's
    credentials, or has no such bucket (the sentence says which; never a key)."""

    message = "The file store cannot be reached right now. Please try again later."


class BlobMissing(FileUnavailable):
    """An item's file the database refers to is not in the blob store."""


class BlobWrongSize(FileUnavailable):
    """An item's stored file is not the size its item row records (replaced or damaged):
    refused before any byte is sent."""

    def __init__(self, stored: int = -1, expected: int = -1) -> None:
        super().__init__()
        self.stored = stored
        self.expected = expected


class BlobExists(Conflict):
    """A file is already stored under this item id, and files are written once."""

    message = "A file is already stored under this item id: stored files are never replaced."
