"""Domain errors to HTTP statuses and messages a person understands, in one place."""

from __future__ import annotations

from dataclasses import dataclass

from vault.errors import (
    AccountDisabled,
    AuthenticationRequired,
    AuthenticatorReenrolmentRequired,
    AwaitingPracticeKey,
    BlobExists,
    BlobMissing,
    BlobWrongSize,
    CodeJustUsed,
    CodeNotSent,
    CodeRefused,
    CodeResendTooSoon,
    ConfigError,
    Conflict,
    DataDirError,
    FileStoreUnavailable,
    FileUnavailable,
    Forbidden,
    InvalidInput,
    InvitationInvalid,
    InvitationLimit,
    LoginFailed,
    NotFound,
    Pruned,
    Refused,
    RequestTaken,
    SecondFactorRequired,
    StoreError,
    Throttled,
    TooLarge,
    TooSlow,
    VaultError,
)


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    title: str  # English message id, translated when rendered
    message: str
    field: str | None = None  # the form field the refusal is about, if one


NOT_FOUND = Refusal(404, "Page not found", "There is nothing at this address.")
METHOD_NOT_ALLOWED = Refusal(
    405, "Not allowed", "This address does not accept this kind of request."
)
BAD_REQUEST = Refusal(400, "Invalid request", "The request could not be understood.")
FORBIDDEN = Refusal(403, "Forbidden", "You are not allowed to do this.")
TOO_LARGE = Refusal(413, "Too large", "What you sent is larger than this vault accepts.")
SERVER_ERROR = Refusal(
    500,
    "Something went wrong",
    "The request could not be completed. Nothing was changed; please try again.",
)
UNAVAILABLE = Refusal(
    503,
    "Temporarily unavailable",
    "The vault cannot store anything right now. Nothing was changed; please try again shortly.",
)

CSRF = Refusal(
    403,
    "Request refused",
    "This request did not come from a Permanence page. Reload the page and try again.",
)
UNAUTHENTICATED = Refusal(401, "Please sign in", "Please sign in.")
UNKNOWN_HOST = Refusal(
    400,
    "Unknown address",
    "This vault does not answer to this address: use the address your administrator gave you.",
)

_BY_STATUS = {
    r.status: r
    for r in (
        NOT_FOUND,
        METHOD_NOT_ALLOWED,
        BAD_REQUEST,
        FORBIDDEN,
        TOO_LARGE,
        SERVER_ERROR,
        UNAVAILABLE,
    )
}


def for_status(status: int) -> Refusal:
    return _BY_STATUS.get(status, Refusal(status, "Request refused", "The request was refused."))


# The one table from domain errors to HTTP statuses; the message is the error's own
# (an English message id, translated when rendered). The first matching class wins.
STATUS_OF: tuple[tuple[type[Refused], int], ...] = (
    (InvalidInput, 400),  # invalid input
    (AuthenticationRequired, 401),
    (LoginFailed, 401),
    (Forbidden, 403),  # a wrong role
    (CodeJustUsed, 403),  # before its parent: the code is current, but was just used
    (SecondFactorRequired, 403),
    (AccountDisabled, 403),
    (AuthenticatorReenrolmentRequired, 403),
    (AwaitingPracticeKey, 403),
    (NotFound, 404),  # an id the account may not reach, or that does not exist
    (InvitationInvalid, 404),
    (Pruned, 410),  # an audit entry older than the retention period: only its hash is kept
    (RequestTaken, 409),  # another secretary has the request (the route names her)
    (BlobExists, 409),  # blobs are written once
    (Conflict, 409),  # already done, or out of step with the stored state
    (TooSlow, 408),
    (TooLarge, 413),
    (InvitationLimit, 429),
    (CodeResendTooSoon, 429),  # a contact code asked again within a minute
    (Throttled, 429),
    (FileStoreUnavailable, 503),  # the object store: unreachable, credentials, bucket
    (BlobMissing, 503),  # an item's file the database refers to is not stored
    (BlobWrongSize, 503),  # an item's file replaced or damaged: not its recorded size
    (FileUnavailable, 503),
    (CodeRefused, 400),  # a contact code: wrong, expired or tried too often
    (CodeNotSent, 503),  # the mail server or SMS gateway did not take the code
)


def status_of(error: Refused) -> int:
    """The HTTP status of a refusal (400 for one the table does not name)."""
    for kind, status in STATUS_OF:
        if isinstance(error, kind):
            return status
    return 400


def for_error(error: VaultError) -> Refusal:
    """The refusal shown for a domain error; storage trouble is never the user's fault."""
    if isinstance(error, Refused):
        return Refusal(status_of(error), "Request refused", str(error), error.field)
    if isinstance(error, StoreError | DataDirError | ConfigError):
        return UNAVAILABLE
    return SERVER_ERROR
