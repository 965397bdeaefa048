"""A witness process (``permanence witness serve``) over real HTTP: C2SP tlog-witness.

It cosigns consistent checkpoints, answers 409 with its size, refuses split
views (another root for the same size, a fork, a size going back) and keeps
its view across a restart, in a file it replaces atomically.
"""

from __future__ import annotations

import base64
import http.client
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from audit import merkle
from audit import note as notes
from audit.checkpoint import Checkpoint
from audit.cosignature import timestamp_of
from audit.keys import NoteSigner
from audit.witness import origin_hash
from audit.witness_client import Reply, add_checkpoint_body, post
from crypto.signing import SigningKey
from tests.audit.witness_process import RunningWitness, witness_process

ORIGIN = "permanence.test/audit"
LOG = NoteSigner(ORIGIN, SigningKey(bytes([7]) * 32))


class Tree:
    """An in-memory log of ``leaves``, signing its checkpoints with ``LOG``."""

    def __init__(self, prefix: str, count: int) -> None:
        self.hashes = [merkle.leaf_hash(f"{prefix}{i}".encode()) for i in range(count)]

    def _subtree(self, level: int, index: int) -> bytes:
        start = index << level
        return self._range(start, start + (1 << level))

    def _range(self, start: int, end: int) -> bytes:
        if end - start == 1:
            return self.hashes[start]
        k = 1 << ((end - start - 1).bit_length() - 1)
        return merkle.node_hash(self._range(start, start + k), self._range(start + k, end))

    def note(self, size: int, signer: NoteSigner = LOG) -> str:
        root = merkle.root(size, self._subtree)
        return notes.sign(Checkpoint(signer.name, size, root).body(), signer)

    def proof(self, old: int, size: int) -> list[bytes]:
        if old in (0, size):
            return []
        return merkle.consistency_proof(old, size, self._subtree)

    def submit(
        self, witness: RunningWitness, old: int, size: int, proof_from: int | None = None
    ) -> Reply:
        proof = self.proof(old if proof_from is None else proof_from, size)
        return post(witness.url, add_checkpoint_body(old, proof, self.note(size)))


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[RunningWitness]:
    with witness_process(tmp_path / "w1", "w1.auditor.example", str(LOG.verifier)) as w:
        yield w


def _monitored(witness: RunningWitness) -> tuple[int, str]:
    parts = urlsplit(witness.url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    connection.request("GET", f"/{origin_hash(ORIGIN)}/checkpoint")
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    return response.status, body


def test_it_cosigns_consistent_checkpoints_with_timestamped_cosignatures(
    witness: RunningWitness,
) -> None:
    tree = Tree("entry-", 40)
    before = int(time.time())
    first = tree.submit(witness, 0, 5)
    assert first.status == 200, first.body
    opened = notes.open_note(tree.note(5) + first.body, [witness.verifier, LOG.verifier])
    assert opened.signed_by(witness.verifier)
    sig = next(s for s in opened.verified if s.name == witness.verifier.name)
    assert before <= timestamp_of(sig.signature) <= int(time.time()) + 1
    for old, size in ((5, 17), (17, 17), (17, 40)):
        reply = tree.submit(witness, old, size)
        assert reply.status == 200, (old, size, reply.body)
        notes.open_note(tree.note(size) + reply.body, [witness.verifier])
    status, monitored = _monitored(witness)
    assert status == 200
    cosigned = notes.open_note(monitored, [witness.verifier, LOG.verifier])
    assert Checkpoint.parse(cosigned.text).size == 40
    assert cosigned.signed_by(LOG.verifier) and cosigned.signed_by(witness.verifier)
    # its key file and its view are private to its owner
    assert stat.S_IMODE(witness.key_file.stat().st_mode) == 0o600
    (view,) = witness.state_dir.glob("*.checkpoint")
    assert stat.S_IMODE(view.stat().st_mode) == 0o600
    assert not [p for p in witness.state_dir.iterdir() if p.name.endswith(".tmp")]


def test_a_wrong_old_size_gets_409_with_the_witness_size(witness: RunningWitness) -> None:
    tree = Tree("entry-", 30)
    assert tree.submit(witness, 0, 10).status == 200
    for old in (0, 9, 11):
        reply = tree.submit(witness, old, 30, proof_from=10)
        assert (reply.status, reply.body) == (409, "10\n")
    parts = urlsplit(witness.url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    connection.request("POST", "/add-checkpoint", body=add_checkpoint_body(0, [], tree.note(30)))
    response = connection.getresponse()
    assert response.getheader("Content-Type") == "text/x.tlog.size"
    response.read()
    connection.close()
    assert tree.submit(witness, 10, 30).status == 200


def test_split_views_are_refused_and_never_cosigned(witness: RunningWitness) -> None:
    """The log's key signs a second history (a forger holding it): the witness refuses it."""
    honest, forged = Tree("entry-", 50), Tree("forged-", 50)
    forged.hashes[:20] = honest.hashes[:20]  # the same history up to 20, then another one
    assert honest.submit(witness, 0, 30).status == 200
    same_size = post(witness.url, add_checkpoint_body(30, [], forged.note(30)))
    assert same_size.status == 422 and "Split view" in same_size.body
    fork = post(witness.url, add_checkpoint_body(30, forged.proof(30, 50), forged.note(50)))
    assert fork.status == 422
    fork_with_honest_proof = post(
        witness.url, add_checkpoint_body(30, honest.proof(30, 50), forged.note(50))
    )
    assert fork_with_honest_proof.status == 422
    going_back = post(witness.url, add_checkpoint_body(30, [], honest.note(20)))
    assert going_back.status == 400
    assert (
        honest.submit(witness, 20, 25).status == 409
    )  # a stale old size: 409, never a cosignature
    status, monitored = _monitored(witness)
    assert status == 200
    assert Checkpoint.parse(notes.split(monitored)[0]).size == 30
    assert notes.split(monitored)[0] == notes.split(honest.note(30))[0]
    assert honest.submit(witness, 30, 50).status == 200  # the honest log goes on


def test_bad_requests_get_the_protocols_codes(witness: RunningWitness) -> None:
    tree = Tree("entry-", 8)
    other = NoteSigner("other.example/log", SigningKey(bytes([8]) * 32))
    impostor = NoteSigner(ORIGIN, SigningKey(bytes([9]) * 32))
    assert post(witness.url, add_checkpoint_body(0, [], tree.note(4, other))).status == 404
    assert post(witness.url, add_checkpoint_body(0, [], tree.note(4, impostor))).status == 403
    assert post(witness.url, b"old 0\nnot base64!\n\n" + tree.note(4).encode()).status == 400
    assert post(witness.url, add_checkpoint_body(5, [], tree.note(4))).status == 400
    empty = Checkpoint(ORIGIN, 0, bytes(32)).body()
    assert post(witness.url, add_checkpoint_body(0, [], notes.sign(empty, LOG))).status == 422
    proof_from_zero = add_checkpoint_body(0, [bytes(32)], tree.note(4))
    assert post(witness.url, proof_from_zero).status == 422
    assert _monitored(witness)[0] == 404  # nothing cosigned yet
    garbage = base64.b64encode(bytes(32)).decode()
    bad_proof = f"old 4\n{garbage}\n\n".encode() + tree.note(8).encode()
    assert tree.submit(witness, 0, 4).status == 200
    assert post(witness.url, bad_proof).status == 422


def test_its_view_survives_a_restart(tmp_path: Path) -> None:
    tree = Tree("entry-", 12)
    with witness_process(tmp_path / "w", "w.example", str(LOG.verifier)) as first:
        assert tree.submit(first, 0, 6).status == 200
        key = first.verifier
    with witness_process(tmp_path / "w", "w.example", str(LOG.verifier)) as again:
        assert again.verifier == key  # the key file created on the first run is reused
        assert (tree.submit(again, 0, 12).status, tree.submit(again, 0, 12).body) == (409, "6\n")
        assert tree.submit(again, 6, 12).status == 200
