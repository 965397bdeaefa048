"""Trust on first use for ``permanence deposit`` and ``fetch``: keys pinned like SSH's known_hosts.

Each test plays the compromised operator against a real server (uvicorn, SQLCipher on
disk): it changes a key in the database and checks that the command refuses it in one
sentence naming both fingerprints, and accepts it only with ``--accept-key NEW``.
"""

from __future__ import annotations

import json
import stat
import uuid
from pathlib import Path

import pytest

from cli.known_keys import KeyRole, KeyTrustError, KnownKeys, PinState, config_dir
from crypto.envelope import ItemHeader, ItemKind, Urgency, encode_body, seal_item
from crypto.fingerprint import practice_fingerprint, user_fingerprint
from crypto.grants import PracticeKeyPair
from crypto.user_keys import UserKeyPair
from tests.cli.items_site import MEMBER, SECRETARY, Vault, one_sentence, vault  # noqa: F401
from tests.cli.tamper_proxy import Reply, tamper_proxy
from tests.e2e.conftest import ARRANGE
from vault.env import Principal
from vault.identity import practices
from vault.identity.roles import Role

pytestmark = pytest.mark.usefixtures("vault")


def _pins(v: Vault) -> list[str]:
    """The pinned keys' lines, without the display names."""
    return [line.split("\t")[0] for line in _lines(v)]


def _lines(v: Vault) -> list[str]:
    return (v.config / "permanence" / "known_keys").read_text().splitlines()


def _practice_key(v: Vault) -> bytes:
    return bytes(
        v.site.env.db.read(
            lambda c: c.execute(
                "SELECT public_key FROM practice WHERE id = ?", (v.practice_id,)
            ).fetchone()[0]
        )
    )


def _count_items(v: Vault) -> int:
    return int(v.site.env.db.read(lambda c: c.execute("SELECT count(*) FROM item").fetchone()[0]))


def test_deposit_pins_the_practice_key_and_refuses_a_substituted_one(vault: Vault) -> None:  # noqa: F811
    """Given a first deposit that pinned the practice key, when the operator replaces the
    practice's public key with one of its own, the next deposit refuses before sealing
    anything; only ``--accept-key`` with the new fingerprint goes ahead."""
    v = vault
    pinned = practice_fingerprint(_practice_key(v))
    first = v.run(SECRETARY, "deposit", "--subject", "Un", stdin="texte")
    assert first.code == 0, first.err
    assert f"key fingerprint {pinned} (first use" in first.err
    path = v.config / "permanence" / "known_keys"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    origin = v.url
    assert _pins(v) == [f"{origin} practice {v.practice_id} {pinned}"]

    again = v.run(SECRETARY, "deposit", "--subject", "Deux", stdin="texte")
    assert again.code == 0 and f"key fingerprint {pinned} (pinned)" in again.err

    forged = PracticeKeyPair.generate()
    v.sql("UPDATE practice SET public_key = ? WHERE id = ?", (forged.public_key, v.practice_id))
    before = _count_items(v)
    refused = v.run(SECRETARY, "deposit", "--subject", "Trois", stdin="secret")
    assert refused.code == 1
    line = one_sentence(refused.err)
    assert pinned in line and forged.fingerprint in line and "--accept-key" in line
    assert _count_items(v) == before

    wrong = v.run(SECRETARY, "deposit", "--subject", "Trois", "--accept-key", pinned, stdin="x")
    assert wrong.code == 1 and _count_items(v) == before

    typed = forged.fingerprint.replace(" ", "").lower()  # as a person may type it
    accepted = v.run(SECRETARY, "deposit", "--subject", "Trois", "--accept-key", typed, stdin="x")
    assert accepted.code == 0, accepted.err
    assert f"key fingerprint {forged.fingerprint} (a new key you accepted" in accepted.err
    assert _pins(v)[-1] == f"{origin} practice {v.practice_id} {forged.fingerprint}"
    assert v.run(SECRETARY, "deposit", "--subject", "Quatre", stdin="x").code == 0


def test_fetch_refuses_an_author_key_the_operator_substituted(vault: Vault) -> None:  # noqa: F811
    """Given a member who fetched one of Sophie's notes (her keys pinned), when the operator
    registers keys of its own for her account and plants a note it signed with them, fetch
    refuses the changed keys instead of printing "signature verified"."""
    v = vault
    first = v.deposit_message()
    fetched = v.run(MEMBER, "fetch", "--item", first)
    assert fetched.code == 0, fetched.err
    real = v.site.env.db.read(
        lambda c: c.execute(
            "SELECT x25519_pk, ed25519_pk FROM account WHERE id = ?", (v.secretary_id,)
        ).fetchone()
    )
    pinned = user_fingerprint(bytes(real[0]), bytes(real[1]))
    assert f"key fingerprint {pinned} (first use" in fetched.err
    assert f"{v.url} author {v.secretary_id} {pinned}" in _pins(v)

    planted = v.deposit_message(text="placeholder")
    operator = UserKeyPair.generate()
    header = ItemHeader(
        kind=ItemKind.MESSAGE,
        urgency=Urgency.URGENT,
        item_id=uuid.UUID(planted),
        client_id=uuid.UUID(v.practice_id),
        author_id=uuid.UUID(v.secretary_id),
    )
    envelope = seal_item(
        header,
        encode_body({"subject": "Urgent", "text": "virez 10 000 EUR"}),
        _practice_key(v),
        operator.signing_key,
    )
    keys = operator.public_keys
    v.sql(
        "UPDATE account SET x25519_pk = ?, ed25519_pk = ? WHERE id = ?",
        (keys.x25519, keys.ed25519, v.secretary_id),
    )
    v.sql("UPDATE item SET envelope = ?, urgency = 2 WHERE id = ?", (envelope, planted))

    refused = v.run(MEMBER, "fetch", "--item", planted)
    assert refused.code == 1
    line = one_sentence(refused.err)
    assert pinned in line and keys.fingerprint in line
    assert "virez" not in refused.out and "signature verified" not in refused.out

    accepted = v.run(MEMBER, "fetch", "--item", planted, "--accept-key", keys.fingerprint)
    assert accepted.code == 0, accepted.err
    assert f"{v.url} author {v.secretary_id} {keys.fingerprint}" == _pins(v)[-1]


def test_fetch_refuses_a_practice_key_that_differs_from_the_one_granted(vault: Vault) -> None:  # noqa: F811
    """The practice key a member decrypts with is the one it pins, and it must be the
    practice's published key: an operator who publishes its own key (so that secretaries
    seal new deposits to it) is caught by the next fetch."""
    v = vault
    item = v.deposit_message()
    fetched = v.run(MEMBER, "fetch", "--item", item)
    granted = practice_fingerprint(_practice_key(v))
    # The secretary's deposit on this machine pinned the same key: same line, same pin.
    assert fetched.code == 0
    assert f"Practice Cabinet Canari: key fingerprint {granted} (pinned)" in fetched.err
    assert _pins(v).count(f"{v.url} practice {v.practice_id} {granted}") == 1

    v.sql(
        "UPDATE practice SET public_key = ? WHERE id = ?",
        (PracticeKeyPair.generate().public_key, v.practice_id),
    )
    refused = v.run(MEMBER, "fetch", "--item", item)
    assert refused.code == 1
    assert "do not match the public keys it publishes" in one_sentence(refused.err)


def test_a_new_author_with_a_pinned_authors_display_name_is_a_warning(vault: Vault) -> None:  # noqa: F811
    """An admin makes a second secretary with the same display name as the one the
    practice knows: her first note is flagged as a look-alike of the pinned author, and the
    account name, when the server gives it, is shown beside the display name."""
    v = vault
    v.sql("UPDATE account SET display_name = 'Sophie Secrétaire' WHERE id = ?", (v.secretary_id,))
    first = v.deposit_message()
    assert v.run(MEMBER, "fetch", "--item", first).code == 0
    assert _lines(v)[-1].endswith("\tSophie Secrétaire")

    other = v.site.enrol(Role.SECRETARY, "sophie.bis")
    v.sql("UPDATE account SET display_name = 'Sophie Secrétaire' WHERE id = ?", (other,))
    admin = v.site.env.db.read(
        lambda c: c.execute("SELECT id FROM account WHERE username = 'root'").fetchone()[0]
    )
    practices.set_assignment(
        v.site.env, ARRANGE, Principal(admin, "root", Role.ADMIN), other, v.practice_id, True
    )
    run = v.run("sophie.bis", "deposit", "--subject", "Rappel", stdin="x")
    assert run.code == 0, run.err
    planted = run.out.strip()

    def with_username(reply: Reply) -> Reply:
        if reply.path.endswith("/envelope"):
            answer = json.loads(reply.body)
            answer["author"].setdefault("username", "sophie.bis")
            reply.body = json.dumps(answer).encode()
        return reply

    with tamper_proxy(v.url) as proxy:
        proxy.alter = with_username
        shown = v.run(MEMBER, "fetch", "--item", planted, url=proxy.base_url)
    assert shown.code == 0, shown.err
    assert f"by Sophie Secrétaire [sophie.bis] (account {other})" in shown.out
    # Another origin (the proxy) has no pins yet: fetch the real server too.
    again = v.run(MEMBER, "fetch", "--item", planted)
    warning = [line for line in again.err.splitlines() if "display name" in line]
    assert len(warning) == 1 and v.secretary_id in warning[0] and other in warning[0]
    assert v.run(MEMBER, "fetch", "--item", planted).err.count("display name") == 0


def test_the_pin_file_is_refused_when_others_can_write_it(vault: Vault) -> None:  # noqa: F811
    v = vault
    v.deposit_message()
    path = v.config / "permanence" / "known_keys"
    path.chmod(0o666)
    refused = v.run(SECRETARY, "deposit", "--subject", "x", stdin="x")
    assert refused.code == 1 and "chmod 600" in one_sentence(refused.err)


def test_pins_are_per_vault_origin(tmp_path: Path) -> None:
    """The same account id on another vault (another origin) is not the same pin."""
    directory = tmp_path / "cfg"
    account = str(uuid.uuid4())
    key = practice_fingerprint(PracticeKeyPair.generate().public_key)
    other = practice_fingerprint(PracticeKeyPair.generate().public_key)
    a = KnownKeys(directory, "https://a.example")
    a.remember(a.check(KeyRole.PRACTICE, account, key, "key"))
    b = KnownKeys(directory, "https://b.example")
    assert b.check(KeyRole.PRACTICE, account, other, "key").state == PinState.FIRST_USE
    again = KnownKeys(directory, "https://a.example")
    assert again.check(KeyRole.PRACTICE, account, key, "key").state == PinState.PINNED
    with pytest.raises(KeyTrustError, match="changed from"):
        again.check(KeyRole.PRACTICE, account, other, "key")
    (directory / "known_keys").write_text("garbage line\n")
    with pytest.raises(KeyTrustError, match="line 1 of"):
        KnownKeys(directory, "https://a.example")


def test_the_configuration_directory(tmp_path: Path) -> None:
    """``$XDG_CONFIG_HOME/permanence`` when absolute, else ``~/.config/permanence``."""
    home = tmp_path / "home"
    assert config_dir({"XDG_CONFIG_HOME": "/etc/xdg"}, lambda: home) == Path("/etc/xdg/permanence")
    assert config_dir({"XDG_CONFIG_HOME": "relative"}, lambda: home) == (
        home / ".config" / "permanence"
    )
    assert config_dir({}, lambda: home) == home / ".config" / "permanence"


def test_config_dir_option_points_elsewhere(vault: Vault, tmp_path: Path) -> None:  # noqa: F811
    v = vault
    elsewhere = tmp_path / "elsewhere"
    run = v.run(SECRETARY, "deposit", "--subject", "x", "--config-dir", str(elsewhere), stdin="x")
    assert run.code == 0 and str(elsewhere / "known_keys") in run.err
    assert (elsewhere / "known_keys").exists()
    assert not (v.config / "permanence" / "known_keys").exists()
