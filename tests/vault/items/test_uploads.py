"""Uploads of extract streams and their blobs, on both blob stores (the blob directory
and the object store on a real SeaweedFS): parts, resumption, publication, downloads,
orphans, and what a lost blob does."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import replace

import pytest

from crypto.envelope import ItemKind
from crypto.stream import CIPHER_CHUNK_BYTES, PREFIX_BYTES, stream_length
from tests.factories import (
    REQ,
    World,
    audit_actions,
    deposit_as_secretary,
    encrypted_file,
    seal,
    upload_stream,
)
from vault.errors import Conflict, InvalidInput, NotFound
from vault.items import deposits, inbox, uploads
from vault.settings import BlobStoreSettings, Settings
from vault.storage.blobs import BlobDirectory
from vault.storage.blobs import objects as object_store


@pytest.fixture(params=["directory", "objects"])
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Each test on the settings' own blob store (the blob directory unless the run is on
    the distributed backend), then on a fresh bucket of the test SeaweedFS."""
    if request.param == "directory":
        return settings
    bucket: BlobStoreSettings = request.getfixturevalue("object_bucket")
    return replace(settings, blob_store=bucket)


def _upload_left(world: World, upload_id: str) -> bool:
    """Whether anything of the upload is still stored apart from the item's blob."""
    blobs = uploads.blob_store(world.env)
    if isinstance(blobs, BlobDirectory):
        return blobs.upload_path(upload_id).exists()
    assert isinstance(blobs, object_store.ObjectStore)
    return bool(blobs._parts(upload_id))


def _unacknowledged(world: World, upload_id: str, offset: int, data: bytes) -> None:
    """Bytes stored after the acknowledged ``offset`` that no answer acknowledged (a part
    cut off by a dropped connection, or whose answer was lost)."""
    blobs = uploads.blob_store(world.env)
    if isinstance(blobs, BlobDirectory):
        with open(blobs.upload_path(upload_id), "ab") as f:
            f.write(data)
        return
    assert isinstance(blobs, object_store.ObjectStore)
    blobs.write_at(upload_id, offset, [data])


def _lose_blob(world: World, item_id: str) -> None:
    """Storage trouble: the item's blob disappears behind the vault's back."""
    blobs = uploads.blob_store(world.env)
    if isinstance(blobs, BlobDirectory):
        blobs.path(item_id).unlink()
        return
    assert isinstance(blobs, object_store.ObjectStore)
    blobs.bucket.delete([f"items/{item_id}"])


def test_an_extract_needs_its_upload_and_a_note_has_none(world: World) -> None:
    iid, envelope = seal(world.secretary, world.practice, kind=ItemKind.EXTRACT)
    with pytest.raises(InvalidInput, match="extract"):
        deposit_as_secretary(world, envelope, iid)
    iid, envelope = seal(world.secretary, world.practice)
    with pytest.raises(InvalidInput, match="extract"):
        deposit_as_secretary(world, envelope, iid, upload_id=str(uuid.uuid4()))


def test_an_extract_goes_up_in_parts_and_comes_down_whole(world: World) -> None:
    stream, manifest = encrypted_file(b"name;amount\n" * 30_000)
    iid, envelope = seal(
        world.secretary, world.practice, kind=ItemKind.EXTRACT, body=manifest.to_body()
    )
    upload_id = upload_stream(world, iid, stream)
    deposit_as_secretary(world, envelope, iid, upload_id=upload_id)
    download = inbox.open_download(world.env, REQ, world.member.principal, iid)
    assert download.size == len(stream) and b"".join(download.chunks) == stream
    assert not _upload_left(world, upload_id)
    assert audit_actions(world.env)[-1] == "item.downloaded"


def test_a_part_already_received_is_accepted_again_and_a_gap_refused(world: World) -> None:
    stream, _ = encrypted_file(b"x" * 200_000)
    iid = str(uuid.uuid4())
    p = world.secretary.principal
    up = uploads.start_upload(world.env, REQ, p, world.practice.id, iid, len(stream))
    uploads.append(world.env, REQ, p, up.id, 0, [stream[:1000]], 1000)
    again = uploads.append(world.env, REQ, p, up.id, 0, [stream[:1000]], 1000)
    assert again.received == 1000
    with pytest.raises(Conflict, match="resume"):
        uploads.append(world.env, REQ, p, up.id, 5000, [stream[5000:6000]], 1000, wait=0.2)
    resumed = uploads.start_upload(world.env, REQ, p, world.practice.id, iid, len(stream))
    assert (resumed.id, resumed.received) == (up.id, 1000)


def test_two_parts_in_flight_are_both_acknowledged_in_order(world: World) -> None:
    """The second part arrives first: it waits for the first, which is written, fsynced
    and acknowledged, then is written itself; neither answer acknowledges bytes that are
    not stored contiguously from the start."""
    stream, manifest = encrypted_file(b"two parts;" * 20_000)
    iid, envelope = seal(
        world.secretary, world.practice, kind=ItemKind.EXTRACT, body=manifest.to_body()
    )
    p = world.secretary.principal
    up = uploads.start_upload(world.env, REQ, p, world.practice.id, iid, len(stream))
    cut = 100_000
    second: list[uploads.Upload | BaseException] = []

    def send_second() -> None:
        try:
            rest = stream[cut:]
            second.append(uploads.append(world.env, REQ, p, up.id, cut, [rest], len(rest)))
        except BaseException as error:
            second.append(error)

    ahead = threading.Thread(target=send_second)
    ahead.start()
    deadline = time.monotonic() + 10
    while uploads._turn(up.id).waiting == 0:  # the second part is waiting for the first
        assert time.monotonic() < deadline and ahead.is_alive()
        time.sleep(0.01)
    assert uploads.upload_status(world.env, REQ, p, up.id).received == 0
    first = uploads.append(world.env, REQ, p, up.id, 0, [stream[:cut]], cut)
    ahead.join(timeout=10)
    assert first.received == cut
    assert [u.received for u in second if isinstance(u, uploads.Upload)] == [len(stream)]
    deposit_as_secretary(world, envelope, iid, upload_id=up.id)
    download = inbox.open_download(world.env, REQ, world.member.principal, iid)
    assert b"".join(download.chunks) == stream


def test_a_part_ahead_of_a_missing_part_is_refused_when_its_wait_ends(world: World) -> None:
    """The part it continues never comes: after the wait, 409 (resume from the server's
    offset), nothing of it stored; the missing part then goes in, and the resent part."""
    stream, _ = encrypted_file(b"w" * 200_000)
    iid = str(uuid.uuid4())
    p = world.secretary.principal
    up = uploads.start_upload(world.env, REQ, p, world.practice.id, iid, len(stream))
    uploads.append(world.env, REQ, p, up.id, 0, [stream[:1000]], 1000)
    t0 = time.monotonic()
    with pytest.raises(Conflict, match="resume"):
        uploads.append(
            world.env, REQ, p, up.id, 5000, [stream[5000:]], len(stream) - 5000, wait=0.3
        )
    assert time.monotonic() - t0 >= 0.3
    assert uploads.upload_status(world.env, REQ, p, up.id).received == 1000
    uploads.append(world.env, REQ, p, up.id, 1000, [stream[1000:5000]], 4000, wait=0.3)
    done = uploads.append(world.env, REQ, p, up.id, 5000, [stream[5000:]], len(stream) - 5000)
    assert done.received == len(stream)
    blobs = uploads.blob_store(world.env)
    blobs.publish(up.id, iid, len(stream))
    assert b"".join(blobs.read_item(iid)) == stream


def test_parts_waiting_are_bounded_and_none_waits_past_the_end(world: World) -> None:
    """No more than MAX_WAITING_PER_UPLOAD parts wait on one upload (each holds a body and a
    thread): the next is refused at once, as is a part starting at or past the stream's end."""
    stream, _ = encrypted_file(b"b" * 200_000)
    iid = str(uuid.uuid4())
    p = world.secretary.principal
    up = uploads.start_upload(world.env, REQ, p, world.practice.id, iid, len(stream))
    turn = uploads._turn(up.id)
    with pytest.raises(Conflict, match="resume"):
        uploads.append(world.env, REQ, p, up.id, len(stream), [b""], 0, wait=5)
    turn.waiting = uploads.MAX_WAITING_PER_UPLOAD  # as many parts as allowed wait already
    try:
        t0 = time.monotonic()
        with pytest.raises(Conflict, match="resume"):
            uploads.append(world.env, REQ, p, up.id, 1000, [stream[1000:2000]], 1000, wait=5)
        assert time.monotonic() - t0 < 4
    finally:
        turn.waiting = 0
    assert uploads.upload_status(world.env, REQ, p, up.id).received == 0


def test_one_account_cannot_hold_more_than_its_share_of_the_waits(world: World) -> None:
    """Review of issue 18: one secretary could fill the process's waiting slots (each holds
    a thread) with early parts. Two of her parts wait; a third is refused at once, and the
    two go in once the parts they continue arrive."""
    stream, _ = encrypted_file(b"w" * 200_000)
    p = world.secretary.principal
    ups = [
        uploads.start_upload(world.env, REQ, p, world.practice.id, str(uuid.uuid4()), len(stream))
        for _ in range(3)
    ]
    answers: list[object] = []

    def early(upload_id: str) -> None:
        try:
            answers.append(
                uploads.append(
                    world.env, REQ, p, upload_id, 1000, [stream[1000:2000]], 1000, wait=10
                )
            )
        except Conflict as e:
            answers.append(e)

    threads = [threading.Thread(target=early, args=(u.id,)) for u in ups[:2]]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while uploads._waiting_by_account.get(p.account_id, 0) < 2:
        assert time.monotonic() < deadline, "the early parts never reached their wait"
        time.sleep(0.01)
    t0 = time.monotonic()
    with pytest.raises(Conflict, match="resume"):
        uploads.append(world.env, REQ, p, ups[2].id, 1000, [stream[1000:2000]], 1000, wait=10)
    assert time.monotonic() - t0 < 5  # refused at once, not after its own wait
    for u in ups[:2]:
        uploads.append(world.env, REQ, p, u.id, 0, [stream[:1000]], 1000)
    for t in threads:
        t.join(timeout=10)
    assert [getattr(a, "received", a) for a in answers] == [2000, 2000]
    assert p.account_id not in uploads._waiting_by_account


def test_a_part_too_far_ahead_or_past_the_end_is_refused_without_waiting(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review of issue 18: a part that no part in flight could lead to (more than one part
    ahead), and a part that would end past the stream, waited the whole time before."""
    stream, _ = encrypted_file(b"f" * 200_000)
    p = world.secretary.principal
    up = uploads.start_upload(world.env, REQ, p, world.practice.id, str(uuid.uuid4()), len(stream))
    monkeypatch.setattr(uploads, "MAX_AHEAD_BYTES", 4000)
    t0 = time.monotonic()
    with pytest.raises(Conflict, match="resume"):
        uploads.append(world.env, REQ, p, up.id, 4001, [stream[4001:5000]], 999, wait=5)
    with pytest.raises(InvalidInput, match="larger"):
        uploads.append(world.env, REQ, p, up.id, len(stream) - 10, [b"x" * 5000], 5000, wait=5)
    with pytest.raises(InvalidInput, match="larger"):  # admit, before any body is read
        uploads.admit(world.env, REQ, p, up.id, len(stream) - 10, 5000, wait=5)
    assert time.monotonic() - t0 < 4
    assert uploads.upload_status(world.env, REQ, p, up.id).received == 0
    assert uploads.admit(world.env, REQ, p, up.id, 0, 4000).received == 0  # its turn: at once


def test_a_part_overlapping_acknowledged_bytes_never_rewrites_them(world: World) -> None:
    """Review of issue 18: a part starting inside what was acknowledged cut the file back and
    rewrote acknowledged bytes. Now only what lies beyond them is added."""
    stream, _ = encrypted_file(b"o" * 300_000)
    iid = str(uuid.uuid4())
    p = world.secretary.principal
    up = uploads.start_upload(world.env, REQ, p, world.practice.id, iid, len(stream))
    uploads.append(world.env, REQ, p, up.id, 0, [stream[:100_000]], 100_000)
    other = b"\xee" * 50_000 + stream[100_000:150_000]  # its first half differs from what is held
    done = uploads.append(
        world.env, REQ, p, up.id, 50_000, [other[:30_000], other[30_000:]], 100_000
    )
    assert done.received == 150_000
    uploads.append(world.env, REQ, p, up.id, 150_000, [stream[150_000:]], len(stream) - 150_000)
    blobs = uploads.blob_store(world.env)
    blobs.publish(up.id, iid, len(stream))
    assert b"".join(blobs.read_item(iid)) == stream


def test_an_incomplete_upload_cannot_be_deposited(world: World) -> None:
    stream, manifest = encrypted_file(b"y" * 100_000)
    iid, envelope = seal(
        world.secretary, world.practice, kind=ItemKind.EXTRACT, body=manifest.to_body()
    )
    p = world.secretary.principal
    up = uploads.start_upload(world.env, REQ, p, world.practice.id, iid, len(stream))
    uploads.append(world.env, REQ, p, up.id, 0, [stream[:500]], 500)
    with pytest.raises(Conflict, match="not complete"):
        deposit_as_secretary(world, envelope, iid, upload_id=up.id)
    assert not uploads.blob_store(world.env).has_item(iid)


def test_the_size_check_accepts_exactly_the_lengths_writers_produce(world: World) -> None:
    """One encoding per file: every stream length up to three chunks and a bit is accepted
    if and only if some file size encodes to it; 65,536 bytes + an empty FINAL chunk
    (25 + 65,553 + 17) is refused, the one-chunk form (25 + 65,553) accepted."""
    writer = {stream_length(n) for n in range(3 * 65536 + 1000)}
    top = stream_length(3 * 65536 + 999)
    accepted = {t for t in range(top + 1) if uploads.valid_stream_length(t)}
    assert accepted == writer
    p = world.secretary.principal
    for total in (PREFIX_BYTES + 17, PREFIX_BYTES + CIPHER_CHUNK_BYTES):
        uploads.start_upload(world.env, REQ, p, world.practice.id, str(uuid.uuid4()), total)
    two = PREFIX_BYTES + CIPHER_CHUNK_BYTES + 17
    with pytest.raises(InvalidInput, match="stream"):
        uploads.start_upload(world.env, REQ, p, world.practice.id, str(uuid.uuid4()), two)
    assert uploads.stream_limit(65536) == PREFIX_BYTES + CIPHER_CHUNK_BYTES


def test_oversized_and_malformed_streams_are_refused(world: World) -> None:
    p = world.secretary.principal
    small = replace(world.env, settings=replace(world.env.settings, upload_limit_bytes=65536))
    too_big = uploads.stream_limit(65536) + 1
    with pytest.raises(InvalidInput, match="larger"):
        uploads.start_upload(small, REQ, p, world.practice.id, str(uuid.uuid4()), too_big)
    bad_length = PREFIX_BYTES + CIPHER_CHUNK_BYTES + 5  # a last chunk shorter than its tag
    with pytest.raises(InvalidInput, match="stream"):
        uploads.start_upload(world.env, REQ, p, world.practice.id, str(uuid.uuid4()), bad_length)


def test_a_stream_of_an_unknown_version_is_refused(world: World) -> None:
    stream, manifest = encrypted_file(b"z" * 10)
    iid, envelope = seal(
        world.secretary, world.practice, kind=ItemKind.EXTRACT, body=manifest.to_body()
    )
    upload_id = upload_stream(world, iid, b"\x07" + stream[1:])
    with pytest.raises(InvalidInput, match="format version"):
        deposit_as_secretary(world, envelope, iid, upload_id=upload_id)


def test_uploads_belong_to_their_secretary(world: World) -> None:
    iid = str(uuid.uuid4())
    up = uploads.start_upload(world.env, REQ, world.secretary.principal, world.practice.id, iid, 60)
    for who in (world.stranger, world.member):
        with pytest.raises(NotFound):
            uploads.upload_status(world.env, REQ, who.principal, up.id)
        with pytest.raises(NotFound):
            uploads.append(world.env, REQ, who.principal, up.id, 0, [b"\x01"], 1)
    with pytest.raises(NotFound):
        uploads.start_upload(world.env, REQ, world.stranger.principal, world.practice.id, iid, 60)


def test_orphans_older_than_an_hour_are_collected(world: World) -> None:
    """A blob without an item row (crash between publish and commit) goes once older than
    an hour, with the parts of an upload whose row is gone; items and fresh files stay."""
    stream, manifest = encrypted_file(b"kept")
    iid, envelope = seal(
        world.secretary, world.practice, kind=ItemKind.EXTRACT, body=manifest.to_body()
    )
    deposit_as_secretary(world, envelope, iid, upload_id=upload_stream(world, iid, stream))
    blobs = uploads.blob_store(world.env)
    orphan = str(uuid.uuid4())
    blobs.put_item(orphan, [b"\x01orphan"])
    assert deposits.collect_orphans(world.env) == 0  # everything is fresh
    assert deposits.collect_orphans(world.env, now=time.time() + 7200) == 1
    assert not blobs.has_item(orphan) and blobs.has_item(iid)


def test_a_deposit_interrupted_after_the_rename_leaves_nothing_then_retries_whole(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit fails after the blob moved into place: no item exists (the blob is an
    orphan); the browser's retry of the same deposit then stores the complete item."""
    stream, manifest = encrypted_file(b"a;b\n" * 50_000)
    iid, envelope = seal(
        world.secretary, world.practice, kind=ItemKind.EXTRACT, body=manifest.to_body()
    )
    upload_id = upload_stream(world, iid, stream)
    real_insert = deposits._insert

    def crash(*args: object, **kw: object) -> deposits.Receipt:
        raise OSError("power cut")

    monkeypatch.setattr(deposits, "_insert", crash)
    with pytest.raises(OSError, match="power cut"):
        deposit_as_secretary(world, envelope, iid, upload_id=upload_id)
    assert inbox.inbox(world.env, world.member.principal, inbox.InboxFilter(), None).items == []
    monkeypatch.setattr(deposits, "_insert", real_insert)
    # Two hours on, the orphan collection keeps the blob: its upload still names the item.
    assert deposits.collect_orphans(world.env, now=time.time() + 7200) == 0
    assert deposit_as_secretary(world, envelope, iid, upload_id=upload_id).created
    download = inbox.open_download(world.env, REQ, world.member.principal, iid)
    assert b"".join(download.chunks) == stream


def test_an_upload_interrupted_mid_part_keeps_only_acknowledged_bytes(world: World) -> None:
    """Bytes written after the last acknowledged offset are cut when the part is resent."""
    stream, _ = encrypted_file(b"q" * 150_000)
    iid = str(uuid.uuid4())
    p = world.secretary.principal
    up = uploads.start_upload(world.env, REQ, p, world.practice.id, iid, len(stream))
    uploads.append(world.env, REQ, p, up.id, 0, [stream[:70_000]], 70_000)
    _unacknowledged(world, up.id, 70_000, b"garbage")  # a half-written part, never acknowledged
    assert uploads.upload_status(world.env, REQ, p, up.id).received == 70_000
    uploads.append(world.env, REQ, p, up.id, 70_000, [stream[70_000:]], len(stream) - 70_000)
    blobs = uploads.blob_store(world.env)
    blobs.publish(up.id, iid, len(stream))
    assert b"".join(blobs.read_item(iid)) == stream


def test_a_missing_blob_is_a_clear_503_not_a_crash(world: World) -> None:
    """If storage lost an extract's file, the download is refused clearly (after auditing)."""
    from vault.errors import FileUnavailable

    data = b"name;phone\nDupont;0600000000\n" * 100
    stream, manifest = encrypted_file(data)
    iid = str(uuid.uuid4())
    upload_id = upload_stream(world, iid, stream)
    _, envelope = seal(
        world.secretary, world.practice, kind=ItemKind.EXTRACT, body=manifest.to_body(), item_id=iid
    )
    deposit_as_secretary(world, envelope, iid, upload_id=upload_id)
    _lose_blob(world, iid)
    with pytest.raises(FileUnavailable):
        inbox.open_download(world.env, REQ, world.member.principal, iid)


def test_an_acknowledged_offset_never_goes_back(world: World) -> None:
    """Two processes held the same part: one acknowledged 9,000 bytes, the other, holding
    a shorter resend, acknowledges 5,000 afterwards. The upload stays at 9,000, and those
    bytes are what the deposit publishes."""
    stream, manifest = encrypted_file(b"z" * 8900)
    iid, envelope = seal(
        world.secretary, world.practice, kind=ItemKind.EXTRACT, body=manifest.to_body()
    )
    p = world.secretary.principal
    up = uploads.start_upload(world.env, REQ, p, world.practice.id, iid, len(stream))
    uploads.append(world.env, REQ, p, up.id, 0, [stream[:1000]], 1000)
    uploads.append(world.env, REQ, p, up.id, 1000, [stream[1000:]], len(stream) - 1000)
    blobs = uploads.blob_store(world.env)
    if not isinstance(blobs, BlobDirectory):  # only the object store serves several processes
        assert blobs.write_at(up.id, 1000, [stream[1000:5000]]) == 5000
    uploads.acknowledge(world.env, up.id, 5000)
    assert uploads.upload_status(world.env, REQ, p, up.id).received == len(stream)
    deposit_as_secretary(world, envelope, iid, upload_id=up.id)
    download = inbox.open_download(world.env, REQ, world.member.principal, iid)
    assert b"".join(download.chunks) == stream


def test_a_deposit_whose_stored_upload_is_gone_is_a_503_not_a_crash(world: World) -> None:
    """The upload's stored bytes vanished (storage trouble) though its row says complete:
    the deposit is refused as a file that cannot be read, and nothing is deposited."""
    from vault.errors import FileUnavailable

    stream, manifest = encrypted_file(b"lost" * 1000)
    iid, envelope = seal(
        world.secretary, world.practice, kind=ItemKind.EXTRACT, body=manifest.to_body()
    )
    upload_id = upload_stream(world, iid, stream)
    uploads.blob_store(world.env).discard_upload(upload_id)
    with pytest.raises(FileUnavailable):
        deposit_as_secretary(world, envelope, iid, upload_id=upload_id)
    assert inbox.inbox(world.env, world.member.principal, inbox.InboxFilter(), None).items == []


def test_a_blob_whose_deposit_never_commits_goes_when_its_upload_expires(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Published, then the commit failed and nobody retried: once the upload is forgotten
    (a day), the blob is an orphan like any other and goes."""
    stream, manifest = encrypted_file(b"gone" * 1000)
    iid, envelope = seal(
        world.secretary, world.practice, kind=ItemKind.EXTRACT, body=manifest.to_body()
    )
    upload_id = upload_stream(world, iid, stream)

    def crash(*args: object, **kw: object) -> deposits.Receipt:
        raise OSError("power cut")

    monkeypatch.setattr(deposits, "_insert", crash)
    with pytest.raises(OSError, match="power cut"):
        deposit_as_secretary(world, envelope, iid, upload_id=upload_id)
    blobs = uploads.blob_store(world.env)
    assert blobs.has_item(iid)
    world.clock.advance(2 * 86400)
    assert deposits.collect_orphans(world.env, now=time.time() + 2 * 86400) == 1
    assert not blobs.has_item(iid)
