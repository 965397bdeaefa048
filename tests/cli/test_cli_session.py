"""``permanence deposit``/``fetch`` sign out at the end and speak one language.

Real server (uvicorn, SQLCipher) and real HTTP, as in tests/cli/items_site.py.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.cli.items_site import MEMBER, SECRETARY, Vault, files_in, one_sentence, vault  # noqa: F401


def _live_sessions(v: Vault) -> int:
    count: int = v.site.env.db.read(
        lambda c: c.execute("SELECT COUNT(*) FROM session WHERE revoked_at IS NULL").fetchone()[0]
    )
    return count


def test_deposit_and_fetch_sign_out_also_on_failure(vault: Vault) -> None:  # noqa: F811
    """Each run used to leave its session open on the server (12 seen after 12 runs)."""
    v = vault
    before = _live_sessions(v)
    item = v.deposit_message()
    assert v.run(MEMBER, "fetch").code == 0
    assert v.run(MEMBER, "fetch", "--item", item).code == 0
    refused = v.run(MEMBER, "fetch", "--item", str(uuid.uuid4()))
    assert refused.code == 1
    assert _live_sessions(v) == before


def test_the_servers_refusals_are_in_the_commands_language(vault: Vault) -> None:  # noqa: F811
    """The command's sentences are English; a refusal from the server used to come in
    French (the server's default) inside them."""
    run = vault.run(MEMBER, "fetch", "--item", str(uuid.uuid4()))
    assert run.code == 1
    line = one_sentence(run.err)
    assert line == "permanence: There is nothing at this address."


def test_fetch_does_not_overwrite_an_existing_file(vault: Vault, tmp_path: Path) -> None:  # noqa: F811
    """The depositor chooses the name: a file already there was silently replaced."""
    v = vault
    source = tmp_path / "in" / "notes.txt"
    source.parent.mkdir()
    source.write_bytes(b"from the depositor\n")
    item = v.deposit_file(source)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_bytes(b"mine\n")
    run = v.run(MEMBER, "fetch", "--item", item, "--out", str(out))
    assert run.code == 1
    line = one_sentence(run.err)
    assert "notes.txt already exists" in line and "--force" in line
    assert (out / "notes.txt").read_bytes() == b"mine\n" and files_in(out) == ["notes.txt"]
    run = v.run(MEMBER, "fetch", "--item", item, "--out", str(out), "--force")
    assert run.code == 0, run.err
    assert (out / "notes.txt").read_bytes() == b"from the depositor\n"
