"""One checkpoint issuer for the server and the command line (vault/auditing/checkpoints.py)."""

from __future__ import annotations

import dataclasses

import pytest

from vault.auditing.checkpoints import Checkpointing, checkpoint_issuer
from vault.errors import DataDirError
from vault.settings import Settings


def test_the_issuer_signs_under_the_keys_name(initialised: Settings) -> None:
    """The origin is the signing key's name, which init took from audit_origin."""
    issuer = checkpoint_issuer(initialised)
    assert issuer.origin == issuer.signer.name == initialised.audit_origin
    assert Checkpointing.for_settings(initialised).issuer.origin == issuer.origin


def test_a_changed_audit_origin_is_refused_with_how_to_fix_it(initialised: Settings) -> None:
    """Changing audit_origin after init used to make the server sign under the new origin
    (the command line kept the key's name): the log then never verified again. Now both
    refuse, saying which value to put back."""
    moved = dataclasses.replace(initialised, audit_origin="vault.example.com/audit")
    with pytest.raises(DataDirError, match=r"set audit_origin back to 'permanence\.local/audit'"):
        checkpoint_issuer(moved)
    with pytest.raises(DataDirError):
        Checkpointing.for_settings(moved)
