"""One checkpoint issuer for the server and the command line (vault/auditing/checkpoints.py)."""

from __future__ import annotations

import dataclasses

import pytest

from audit.keys import generate_signer_key
from tests.factories import open_test_vault
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


def _other_vaults_key(settings: Settings) -> str:
    """The audit signing key of the file, replaced by another vault's (same origin)."""
    path = settings.layout.audit_key_file
    ours = path.read_text()
    path.write_text(generate_signer_key(settings.audit_origin) + "\n")  # keeps its mode
    return ours


def test_keys_of_another_vault_are_refused_at_opening(initialised: Settings) -> None:
    """On the distributed backend nothing else ties keys/ to the database: a server with
    another vault's audit signing key used to start and fail every checkpoint. Before the
    first checkpoint the log's first entry names the vault's key; after, the latest
    checkpoint is signed by it. The vault's own key opens it."""
    ours = _other_vaults_key(initialised)
    keys = initialised.layout.keys_dir
    with pytest.raises(DataDirError) as refused:
        open_test_vault(initialised)
    assert str(refused.value) == (
        f"the keys in {keys} are not this vault's: the log's first entry (vault.initialised)"
        " names another audit signing key; copy keys/ from the server that ran init"
    )
    initialised.layout.audit_key_file.write_text(ours)
    with open_test_vault(initialised) as vault:
        vault.checkpointing.issue_now(vault.env)
    _other_vaults_key(initialised)
    with pytest.raises(DataDirError) as refused:
        open_test_vault(initialised)
    assert str(refused.value) == (
        f"the keys in {keys} are not this vault's: the latest checkpoint is not signed by"
        " its audit signing key; copy keys/ from the server that ran init"
    )
    initialised.layout.audit_key_file.write_text(ours)
    with open_test_vault(initialised) as vault:
        assert vault.checkpointing.tick(vault.env) is None
