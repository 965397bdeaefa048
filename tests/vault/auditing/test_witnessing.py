"""The issuer and the witnesses of its policy (vault/auditing/witnessing.py), over real HTTP.

Three witness processes in a 2-of-3 policy: one down, one refusing (it holds a
forged view, signed with the log's key), so the checkpoint is not published;
once the third is up, and after its 409, the quorum is reached.
"""

from __future__ import annotations

import io
import socket
from pathlib import Path

from audit import note as notes
from audit.bundle import Bundle, verify_bundle, write_bundle
from audit.checkpoint import Checkpoint
from audit.entry import Action
from audit.verify import verify_database
from audit.witness_client import Reply, add_checkpoint_body, post
from audit.witness_policy import parse_policy
from tests.audit.witness_process import witness_process
from vault.auditing.witnessing import is_published, publish_latest, witness_statuses
from vault.env import RequestInfo
from vault.opening import Vault


def _grow(vault: Vault, count: int) -> None:
    env = vault.env
    for _ in range(count):
        env.db.write(lambda c: env.record(c, Action.AUDIT_VIEWED, RequestInfo()))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _policy(witnesses: dict[str, tuple[str, str]]) -> str:
    lines = [f"witness {name} {key} {url}" for name, (key, url) in witnesses.items()]
    return "\n".join(["# test policy", *lines, "group two 2 " + " ".join(witnesses), "quorum two"])


def test_published_only_with_the_quorum(vault: Vault, tmp_path: Path) -> None:
    env, issuer = vault.env, vault.checkpointing.issuer
    log_key = str(issuer.signer.verifier)
    _grow(vault, 20)
    first = vault.checkpointing.issue_now(env)
    down_port = _free_port()
    sent: list[tuple[str, int]] = []

    def send(url: str, body: bytes) -> Reply:
        reply = post(url, body)
        sent.append((url, reply.status))
        return reply

    with (
        witness_process(tmp_path / "a", "a.example", log_key) as a,
        witness_process(tmp_path / "b", "b.example", log_key) as b,
    ):
        # b was shown another history of the same size, signed with the log's key
        forged = Checkpoint(issuer.origin, first.checkpoint.size, bytes(32)).body()
        forged_note = notes.sign(forged, issuer.signer)
        assert post(b.url, add_checkpoint_body(0, [], forged_note)).status == 200
        c_key = _c_key(tmp_path / "c")
        text = _policy(
            {
                "a": (str(a.verifier), a.url),
                "b": (str(b.verifier), b.url),
                "c": (c_key, f"http://127.0.0.1:{down_port}"),
            }
        )
        policy = parse_policy(text)

        done = publish_latest(env, issuer.signer.verifier, policy, send=send)
        assert done is not None and done.seq == first.seq
        states = {o.witness: o.state for o in done.outcomes}
        assert states == {"a": "cosigned", "b": "refused", "c": "unreachable"}
        assert not done.published
        assert [s for u, s in sent if u == b.url] == [409, 422]  # resubmitted from its size
        body = first.checkpoint.body()
        assert not env.db.read(lambda c: is_published(c, policy, first.seq, body))

        # c comes up, having seen the first checkpoint already (the vault does not know it)
        with witness_process(tmp_path / "c", "c.example", log_key, port=down_port) as c:
            assert str(c.verifier) == c_key
            assert post(c.url, add_checkpoint_body(0, [], first.note)).status == 200
            _grow(vault, 13)
            second = vault.checkpointing.issue_now(env)
            sent.clear()
            done = publish_latest(env, issuer.signer.verifier, policy, send=send)
            assert done is not None and done.seq == second.seq
            states = {o.witness: o.state for o in done.outcomes}
            assert states == {"a": "cosigned", "b": "refused", "c": "cosigned"}
            assert [s for u, s in sent if u == c.url] == [409, 200]
            assert done.published
            again = publish_latest(env, issuer.signer.verifier, policy, send=send)
            assert again is not None and {o.state for o in again.outcomes} >= {"already"}

    statuses = env.db.read(
        lambda conn: witness_statuses(conn, policy, second.seq, second.checkpoint.body())
    )
    shown = {s.name: (s.cosigned, s.valid) for s in statuses}
    assert shown == {"a": (True, True), "b": (False, False), "c": (True, True)}
    assert all(s.timestamp for s in statuses if s.valid)
    # the stored cosignature/v1 lines verify with the rest of the log
    report = env.db.read(
        lambda conn: verify_database(
            conn, issuer.signer.verifier, required_cosigners=[a.verifier, c.verifier]
        )
    )
    size = second.checkpoint.size
    assert dict(report.cosigned) == {"a.example": size, "c.example": size}
    # and an exported bundle carries them, checked offline with the witnesses' keys
    out = io.StringIO()
    env.db.read(lambda conn: write_bundle(conn, out, issuer.signer.verifier, origin=issuer.origin))
    offline = verify_bundle(
        Bundle.parse(out.getvalue()),
        issuer.signer.verifier,
        required_cosigners=[a.verifier, c.verifier],
    )
    assert dict(offline.cosigned) == {"a.example": size, "c.example": size}


def _c_key(folder: Path) -> str:
    """Create c's key now (``witness public-key`` creates it), so the policy can name it."""
    from tests.cli.running import run

    folder.mkdir(parents=True)
    done = run("witness", "public-key", "--key", str(folder / "witness.key"), "--name", "c.example")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_two_processes_submit_each_checkpoint_to_a_witness_once(
    vault: Vault, tmp_path: Path
) -> None:
    """Two servers on one vault (two databases on its file) run their witness rounds at
    the same moment: the witness gets one request, the cosignature is stored once."""
    import threading
    import time

    from tests.factories import open_test_vault
    from vault.auditing.witnessing import publish_round

    env, issuer = vault.env, vault.checkpointing.issuer
    _grow(vault, 5)
    vault.checkpointing.issue_now(env)
    other = open_test_vault(vault.settings)
    sent: list[str] = []
    both_in = threading.Barrier(2)

    def send(url: str, body: bytes) -> Reply:
        sent.append(url)
        time.sleep(0.5)  # a slow witness: a long window for the other round
        return post(url, body)

    try:
        with witness_process(tmp_path / "w", "w.example", str(issuer.signer.verifier)) as w:
            policy = parse_policy(
                _policy({"w": (str(w.verifier), w.url)}).replace("two 2", "two 1")
            )

            def round_of(v: Vault, holder: str) -> None:
                both_in.wait()
                publish_round(v.env, issuer.signer.verifier, policy, send=send, holder=holder)

            threads = [
                threading.Thread(target=round_of, args=(v, h))
                for v, h in ((vault, "first"), (other, "second"))
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sent == [w.url]
            # the round after it, in either process, finds the checkpoint cosigned
            again = publish_round(other.env, issuer.signer.verifier, policy, holder="second")
            assert again is not None and [o.state for o in again.outcomes] == ["already"]
    finally:
        other.close()
    stored = env.db.read(lambda c: c.execute("SELECT count(*) FROM audit_cosignatures").fetchone())
    assert stored[0] == 1
