"""``permanence deposit`` and ``fetch`` against a real server (uvicorn, SQLCipher on disk).

The file round-trips encrypted; what fetch shows of an item comes from the signed header
it verified, and a server row that says otherwise is a tamper warning; every failure —
no server, not a vault, a bad code, an unknown item, an altered answer — is one sentence
and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import io
import json
import re
import socket
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from cli.main import main
from tests.cli.items_site import MEMBER, SECRETARY, Vault, files_in, one_sentence, vault  # noqa: F401
from tests.cli.tamper_proxy import Reply, tamper_proxy
from vault.clock import iso


def test_deposit_then_fetch_a_file_and_a_message(vault: Vault, tmp_path: Path) -> None:  # noqa: F811
    v = vault
    data = b"id;value\n" + b"1;secret-extract-row\n" * 300_000
    source = tmp_path / "nightly.csv"
    source.write_bytes(data)
    item_id = v.deposit_file(source)
    assert v.site.recorder.bodies and not any(
        b"secret-extract-row" in b for b in v.site.recorder.bodies
    )
    out = tmp_path / "out"
    fetched = v.run(MEMBER, "fetch", "--item", item_id, "--out", str(out))
    assert fetched.code == 0, fetched.err
    assert (out / "nightly.csv").read_bytes() == data
    assert files_in(out) == ["nightly.csv"]
    assert "signature verified" in fetched.out
    assert f"({len(data)} bytes, verified)" in fetched.out

    message = v.deposit_message(text="rappeler Mme Durand")
    shown = v.run(MEMBER, "fetch", "--item", message)
    assert shown.code == 0 and json.loads(shown.out[shown.out.index("{") :])["text"] == (
        "rappeler Mme Durand"
    )


def test_an_upload_resumes_after_a_dropped_connection(vault: Vault, tmp_path: Path) -> None:  # noqa: F811
    """The first part reaches the server but its answer is lost: the command asks where
    the upload stands and goes on from there (a broken connection is not a refusal)."""
    v = vault
    data = b"row;" * 2_000_000  # 8 MB: two parts
    source = tmp_path / "big.csv"
    source.write_bytes(data)
    dropped: list[str] = []

    def drop_first_part(reply: Reply) -> Reply:
        if reply.method == "PUT" and not dropped:
            dropped.append(reply.path)
            reply.drop = True
        return reply

    with tamper_proxy(v.url) as proxy:
        proxy.alter = drop_first_part
        run = v.run(SECRETARY, "deposit", "--file", str(source), url=proxy.base_url)
    assert run.code == 0, run.err
    assert dropped
    out = tmp_path / "out"
    assert v.run(MEMBER, "fetch", "--item", run.out.strip(), "--out", str(out)).code == 0
    assert (out / "big.csv").read_bytes() == data


def test_a_refusal_is_one_sentence(
    vault: Vault,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PERMANENCE_PASSWORD", "wrong wrong wrong wrong")
    assert main(["fetch", "--url", vault.url, "--username", "nobody", "--code", "123456"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("permanence: ") and err.count("\n") == 1
    assert "Sign-in failed" in err or "connexion a échoué" in err


def test_fetch_shows_the_signed_fields_and_warns_when_the_server_row_differs(vault: Vault) -> None:  # noqa: F811
    """Given an urgent message, when the operator lowers it to "low" and makes it a call
    note in the database, fetch still shows the urgency and kind the secretary signed,
    prints one tamper warning per field, and exits 3."""
    v = vault
    item = v.deposit_message("--urgency", "urgent")
    clean = v.run(MEMBER, "fetch", "--item", item)
    assert clean.code == 0 and "message, urgency urgent (signed)" in clean.out
    assert "warning" not in clean.err
    assert f"(account {v.secretary_id})" in clean.out

    v.sql("UPDATE item SET urgency = 0, pinned = 0, kind = 'call_note' WHERE id = ?", (item,))
    tampered = v.run(MEMBER, "fetch", "--item", item)
    assert tampered.code == 3
    assert "message, urgency urgent (signed)" in tampered.out
    warnings = [line for line in tampered.err.splitlines() if "warning" in line]
    assert len(warnings) == 2
    assert "urgency 'low'" in warnings[1] and "signed 'urgent'" in warnings[1]
    assert "kind 'call_note'" in warnings[0] and "signed 'message'" in warnings[0]


def test_fetch_shows_the_signed_call_time_and_warns_when_the_server_row_differs(
    vault: Vault,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A call note's start and duration are shown from the signed header; an operator who
    rewrites them in the database (to change a secretary's recorded work) is a warning."""
    v = vault
    started = v.clock.at + timedelta(seconds=60)
    note = tmp_path / "note.json"
    note.write_text(
        json.dumps(
            {
                "caller_name": "Mme Durand",
                "caller_is": "self",
                "callback_number": "0102030405",
                "reason": "rendez-vous",
                "best_time": "matin",
                "notes": "",
                "call_started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "call_seconds": 125,
            }
        )
    )
    run = v.run(SECRETARY, "deposit", "--note", str(note))
    assert run.code == 0, run.err
    item = run.out.strip()
    signed = f"call at {started:%Y-%m-%dT%H:%M:%SZ}, lasting 2 min 5 s (signed)"
    clean = v.run(MEMBER, "fetch", "--item", item)
    assert clean.code == 0 and signed in clean.out and "warning" not in clean.err

    v.sql(
        "UPDATE item SET call_started_at = ?, call_seconds = 5 WHERE id = ?",
        (iso(started - timedelta(hours=2)), item),
    )
    tampered = v.run(MEMBER, "fetch", "--item", item)
    assert tampered.code == 3 and signed in tampered.out
    warnings = [line for line in tampered.err.splitlines() if "warning" in line]
    assert len(warnings) == 2
    assert "call_started_at" in warnings[0] and f"{started:%Y-%m-%dT%H:%M:%SZ}" in warnings[0]
    assert "call_seconds '5'" in warnings[1] and "signed '125'" in warnings[1]


def test_names_from_the_server_cannot_drive_the_terminal(vault: Vault) -> None:  # noqa: F811
    """A display name holding terminal escapes (set by the operator) is printed escaped:
    it cannot move the cursor to paint a fake line over the real output."""
    v = vault
    item = v.deposit_message()
    v.sql(
        "UPDATE account SET display_name = ? WHERE id = ?",
        ("Sophie\x1b[2K\r\u202edeifirev", v.secretary_id),
    )
    shown = v.run(MEMBER, "fetch", "--item", item)
    assert shown.code == 0
    for text in (shown.out, shown.err):
        assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
    assert "Sophie\\u001b[2K\\u000d\\u202edeifirev" in shown.out


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"http://127.0.0.1:{_closed_port()}", "cannot reach the vault at"),
        ("vault.example", "is not a vault address"),
        ("ftp://vault.example", "is not a vault address"),
        ("http://[::1", "is not a vault address"),
        ("http://127.0.0.1:99999", "is not a vault address"),
    ],
)
def test_no_server_or_a_wrong_url_is_one_sentence(
    vault: Vault,  # noqa: F811
    url: str,
    expected: str,
) -> None:
    run = vault.run(MEMBER, "fetch", url=url)
    assert run.code == 1 and expected in one_sentence(run.err)


def test_a_server_that_is_not_a_vault_is_one_sentence(vault: Vault) -> None:  # noqa: F811
    def html(reply: Reply) -> Reply:
        reply.status, reply.headers, reply.body = 200, [("Content-Type", "text/html")], b"<p>hi"
        return reply

    with tamper_proxy(vault.url) as proxy:
        proxy.alter = html
        run = vault.run(MEMBER, "fetch", url=proxy.base_url)
    assert run.code == 1 and "did not answer as a Permanence vault" in one_sentence(run.err)


def test_weak_password_hashing_parameters_from_the_server_are_one_sentence(vault: Vault) -> None:  # noqa: F811
    """A server that asks for cheap Argon2 parameters (to brute-force the password from
    auth_key) is refused in one sentence, without deriving anything."""

    def weaken(reply: Reply) -> Reply:
        if reply.path == "/login/prelogin":
            answer = json.loads(reply.body)
            answer["kdf"]["mem"] = 1024
            answer["kdf"]["ops"] = 1
            reply.body = json.dumps(answer).encode()
        return reply

    with tamper_proxy(vault.url) as proxy:
        proxy.alter = weaken
        run = vault.run(MEMBER, "fetch", url=proxy.base_url)
    assert run.code == 1 and "password-hashing parameters" in one_sentence(run.err)


def test_an_answer_of_another_shape_is_one_sentence(vault: Vault) -> None:  # noqa: F811
    v = vault
    item = v.deposit_message()

    def drop_author(reply: Reply) -> Reply:
        if reply.path.endswith("/envelope"):
            answer = json.loads(reply.body)
            del answer["author"]
            reply.body = json.dumps(answer).encode()
        return reply

    with tamper_proxy(v.url) as proxy:
        proxy.alter = drop_author
        run = v.run(MEMBER, "fetch", "--item", item, url=proxy.base_url)
    assert run.code == 1 and "did not answer as a Permanence vault" in one_sentence(run.err)


def test_an_altered_envelope_is_the_bad_item_sentence(vault: Vault) -> None:  # noqa: F811
    v = vault
    item = v.deposit_message()
    envelope = bytearray(
        v.site.env.db.read(
            lambda c: c.execute("SELECT envelope FROM item WHERE id = ?", (item,)).fetchone()[0]
        )
    )
    envelope[-1] ^= 1  # one bit of the ciphertext
    v.sql("UPDATE item SET envelope = ? WHERE id = ?", (bytes(envelope), item))
    run = v.run(MEMBER, "fetch", "--item", item)
    assert run.code == 1
    assert one_sentence(run.err) == (
        "permanence: this item failed verification or decryption; nothing was saved"
    )


def test_a_missing_code_without_a_terminal_is_one_sentence(
    vault: Vault,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In a cron job (stdin closed, no --code) the prompt meets end of file."""
    monkeypatch.setenv("PERMANENCE_PASSWORD", vault.site.passwords[MEMBER])
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["fetch", "--url", vault.url, "--username", MEMBER]) == 1
    assert "--code" in one_sentence(capsys.readouterr().err)


def test_a_wrong_code_is_the_servers_sentence(vault: Vault) -> None:  # noqa: F811
    v = vault
    v.monkeypatch.setenv("PERMANENCE_PASSWORD", v.site.passwords[MEMBER])
    v.capsys.readouterr()
    assert main(["fetch", "--url", v.url, "--username", MEMBER, "--code", "000000"]) == 1
    line = one_sentence(v.capsys.readouterr().err)
    assert "Sign-in failed" in line or "connexion a échoué" in line


@pytest.mark.parametrize("item", ["garbage", "../../inbox", str(uuid.uuid4())])
def test_an_unknown_or_malformed_item_id_is_one_sentence(vault: Vault, item: str) -> None:  # noqa: F811
    run = vault.run(MEMBER, "fetch", "--item", item)
    assert run.code == 1
    line = one_sentence(run.err)
    if re.fullmatch(r"[0-9a-f-]{36}", item):
        assert "nothing" in line.lower() or "rien" in line.lower()  # the server's 404
    else:
        assert "is not an item id" in line


def test_deposit_checks_its_input_before_signing_in(vault: Vault, tmp_path: Path) -> None:  # noqa: F811
    """A missing file or a note that is not JSON is refused before the TOTP code is used."""
    v = vault
    requests_before = len(v.site.recorder.bodies)
    missing = v.run(SECRETARY, "deposit", "--file", str(tmp_path / "absent.csv"))
    assert missing.code == 1 and "cannot read" in one_sentence(missing.err)
    note = tmp_path / "note.json"
    note.write_text("not json")
    bad = v.run(SECRETARY, "deposit", "--note", str(note))
    assert bad.code == 1 and "does not hold a JSON object" in one_sentence(bad.err)
    assert len(v.site.recorder.bodies) == requests_before  # nothing was sent


def test_a_message_that_is_not_utf8_is_one_sentence(vault: Vault) -> None:  # noqa: F811
    v = vault
    v.monkeypatch.setenv("PERMANENCE_PASSWORD", v.site.passwords[SECRETARY])
    v.monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"caf\xe9"), "utf-8"))
    v.capsys.readouterr()
    argv = ["deposit", "--url", v.url, "--username", SECRETARY, "--code", v.code(SECRETARY)]
    assert main([*argv, "--subject", "x"]) == 1
    assert "not UTF-8" in one_sentence(v.capsys.readouterr().err)


def test_an_unwritable_destination_is_one_sentence(vault: Vault, tmp_path: Path) -> None:  # noqa: F811
    v = vault
    source = tmp_path / "a.csv"
    source.write_bytes(b"a;b\n" * 1000)
    item = v.deposit_file(source)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    run = v.run(MEMBER, "fetch", "--item", item, "--out", str(blocker / "out"))
    assert run.code == 1 and "cannot write to" in one_sentence(run.err)
    taken = tmp_path / "taken"
    (taken / "a.csv").mkdir(parents=True)  # the destination's name is a folder
    run = v.run(MEMBER, "fetch", "--item", item, "--out", str(taken))
    assert run.code == 1 and "a.csv already exists" in one_sentence(run.err)
    run = v.run(MEMBER, "fetch", "--item", item, "--out", str(taken), "--force")
    assert run.code == 1 and "cannot write" in one_sentence(run.err)
    assert files_in(taken) == ["a.csv"] and files_in(taken / "a.csv") == []
