"""web/errors.py: the one table from domain errors to HTTP statuses."""

from __future__ import annotations

import inspect

from vault import errors as vault_errors
from vault.errors import Refused
from web import errors


def _leaves() -> list[type[Refused]]:
    return [
        c
        for _, c in inspect.getmembers(vault_errors, inspect.isclass)
        if issubclass(c, Refused) and c is not Refused
    ]


def test_vault_errors_carry_no_http_status() -> None:
    """No class of vault.errors knows about HTTP (the web layer decides)."""
    assert [c.__name__ for c in _leaves() if "status" in vars(c)] == []
    assert "status" not in vars(Refused)


def test_every_refusal_has_its_status_in_the_table() -> None:
    """Each leaf is named in web.errors.STATUS_OF, with the status the issue asks for."""
    named = {kind for kind, _ in errors.STATUS_OF}
    assert [c.__name__ for c in _leaves() if c not in named] == []
    expected = {
        "InvalidInput": 400,
        "TooLarge": 413,
        "Forbidden": 403,
        "NotFound": 404,
        "Conflict": 409,
        "Throttled": 429,
        "InvitationLimit": 429,
        "TooSlow": 408,
        "LoginFailed": 401,
        "AuthenticationRequired": 401,
        "InvitationInvalid": 404,
        "SecondFactorRequired": 403,
        "CodeJustUsed": 403,
        "AccountDisabled": 403,
        "AuthenticatorReenrolmentRequired": 403,
        "AwaitingPracticeKey": 403,
        "FileUnavailable": 503,
        "CodeRefused": 400,
        "CodeNotSent": 503,
        "CodeResendTooSoon": 429,
        "RequestTaken": 409,
        "Pruned": 410,
        "FileStoreUnavailable": 503,
        "BlobMissing": 503,
        "BlobWrongSize": 503,
        "BlobExists": 409,
    }
    shown = {
        c.__name__: errors.for_error(c(1) if issubclass(c, vault_errors.Throttled) else c()).status
        for c in _leaves()
    }
    assert shown == expected


def test_a_refusal_keeps_its_sentence() -> None:
    """The page shows the error's own message (an English message id, translated later)."""
    refusal = errors.for_error(vault_errors.Conflict("This was already done."))
    assert (refusal.status, refusal.message) == (409, "This was already done.")
    assert errors.for_error(vault_errors.WrongKey()).status == 503


def test_a_refusal_names_the_field_it_is_about() -> None:
    """``field`` travels from the domain error to the refusal the page ties to a field."""
    assert errors.for_error(vault_errors.SecondFactorRequired()).field == "code"
    assert errors.for_error(vault_errors.CodeJustUsed()).field == "code"
    assert errors.for_error(vault_errors.InvalidInput("x", field="username")).field == "username"
    assert errors.for_error(vault_errors.Conflict()).field is None
