"""Item envelopes: seal, server-side check, open; every tampering fails alike."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import _primitives
from crypto.envelope import (
    HEADER_BYTES,
    MAX_CALL_SECONDS,
    MAX_CALL_STARTED_AT,
    MIN_ENVELOPE_BYTES,
    SIGNATURE_LABEL,
    ItemHeader,
    ItemKind,
    OpenedItem,
    Urgency,
    check_envelope,
    decode_body,
    encode_body,
    open_item,
    read_unverified_header,
    seal_item,
)
from crypto.errors import DecryptionFailed, MalformedInput, UnsupportedVersion
from crypto.grants import PracticeKeyPair
from crypto.user_keys import UserKeyPair
from tests.vectors.generate import DeterministicRandom

Ids = tuple[uuid.UUID, uuid.UUID, uuid.UUID]
FIELDS = {
    "version": 0,
    "kind": 1,
    "urgency": 2,
    "item_id": 3,
    "client_id": 19,
    "author_id": 35,
    "call_started_at": 51,
    "call_seconds": 59,
    "sealed_key": 72,
    "signature": 160,
    "nonce": 212,
    "ciphertext": 232,
    "tag": -1,
}


def _header(ids: Ids, kind: ItemKind = ItemKind.MESSAGE) -> ItemHeader:
    item_id, client_id, author_id = ids
    return ItemHeader(kind, Urgency.URGENT, item_id, client_id, author_id)


def _open(envelope: bytes, practice: PracticeKeyPair, author: UserKeyPair, ids: Ids) -> OpenedItem:
    item_id, client_id, author_id = ids
    return open_item(
        envelope,
        author_verify_key=author.public_keys.verify_key,
        practice_secret_key=practice.secret_key,
        item_id=item_id,
        client_id=client_id,
        author_id=author_id,
    )


HEADERS = st.builds(
    ItemHeader,
    st.sampled_from([ItemKind.MESSAGE, ItemKind.EXTRACT]),
    st.sampled_from(Urgency),
    st.uuids(),
    st.uuids(),
    st.uuids(),
) | st.builds(
    ItemHeader,
    st.just(ItemKind.CALL_NOTE),
    st.sampled_from(Urgency),
    st.uuids(),
    st.uuids(),
    st.uuids(),
    st.integers(0, MAX_CALL_STARTED_AT),
    st.integers(0, MAX_CALL_SECONDS),
)


@settings(max_examples=30)
@given(HEADERS, st.binary(max_size=300))
def test_round_trip(header: ItemHeader, body: bytes) -> None:
    """Any header and body seal, pass the server check and open to themselves."""
    practice = PracticeKeyPair.generate()
    author = UserKeyPair.generate()
    envelope = seal_item(header, body, practice.public_key, author.signing_key)
    assert len(envelope) == MIN_ENVELOPE_BYTES + len(body) == 247 + len(body)
    assert check_envelope(envelope, author.public_keys.verify_key) == header
    assert ItemHeader.from_bytes(header.to_bytes()) == header
    opened = _open(envelope, practice, author, (header.item_id, header.client_id, header.author_id))
    assert opened == OpenedItem(header, body)


def test_layout(practice: PracticeKeyPair, author: UserKeyPair, ids: Ids) -> None:
    """The envelope is header || sealed key || signature || nonce || AEAD(body, ad=header)."""
    rng = DeterministicRandom("layout")
    content_key, nonce = rng(32), rng(24)
    draws = iter([content_key, nonce])
    header = _header(ids)
    envelope = seal_item(
        header, b"{}", practice.public_key, author.signing_key, lambda _n: next(draws)
    )
    assert (
        envelope[:HEADER_BYTES]
        == header.to_bytes()
        == b"\x01\x02\x02" + b"".join(i.bytes for i in ids) + bytes(12)
    )
    sealed_key = envelope[63:143]
    assert _primitives.box_seal_open(sealed_key, practice.secret_key.value) == content_key
    assert envelope[207:231] == nonce
    ciphertext = envelope[231:]
    assert _primitives.aead_open(content_key, nonce, ciphertext, envelope[:63]) == b"{}"
    ct_hash = _primitives.generichash(32, nonce + ciphertext)
    author.public_keys.verify_key.verify(
        SIGNATURE_LABEL + envelope[:63] + sealed_key + ct_hash, envelope[143:207]
    )


def test_call_time_layout(ids: Ids) -> None:
    """A call note's header ends with the call start (u64 BE) and duration (u32 BE)."""
    header = ItemHeader(ItemKind.CALL_NOTE, Urgency.LOW, *ids, 1_795_772_465, 154)
    raw = header.to_bytes()
    assert len(raw) == HEADER_BYTES == 63
    assert raw[51:] == bytes.fromhex("000000006b0950310000009a")
    assert ItemHeader.from_bytes(raw) == header


@pytest.mark.parametrize(
    ("kind", "started", "seconds"),
    [
        (ItemKind.MESSAGE, 1, 0),
        (ItemKind.EXTRACT, 0, 1),
        (ItemKind.CALL_NOTE, 0, MAX_CALL_SECONDS + 1),
        (ItemKind.CALL_NOTE, MAX_CALL_STARTED_AT + 1, 0),
        (ItemKind.CALL_NOTE, 2**64 - 1, 0),
    ],
)
def test_implausible_call_time_is_refused(
    ids: Ids, kind: ItemKind, started: int, seconds: int
) -> None:
    """A call time on another kind than a call note, a call over 24 h or starting after
    2^53 - 1 is refused by writers (MalformedInput) and readers (DecryptionFailed)."""
    with pytest.raises(MalformedInput):
        ItemHeader(kind, Urgency.NORMAL, *ids, started, seconds)
    raw = bytes([1, kind, 1]) + b"".join(i.bytes for i in ids)
    raw += started.to_bytes(8, "big") + seconds.to_bytes(4, "big")
    with pytest.raises(DecryptionFailed):
        ItemHeader.from_bytes(raw)


def test_longest_call_is_accepted(ids: Ids) -> None:
    """A call of exactly 24 h starting at 2^53 - 1 is the limit, still accepted."""
    header = ItemHeader(
        ItemKind.CALL_NOTE, Urgency.NORMAL, *ids, MAX_CALL_STARTED_AT, MAX_CALL_SECONDS
    )
    assert ItemHeader.from_bytes(header.to_bytes()) == header


@pytest.mark.parametrize("field", FIELDS)
def test_flipped_byte_in_each_field_fails(
    practice: PracticeKeyPair, author: UserKeyPair, ids: Ids, field: str
) -> None:
    """A flipped byte anywhere fails both the server check and opening, with one error
    (UnsupportedVersion for the version byte, which is read before anything else)."""
    envelope = bytearray(
        seal_item(_header(ids), b'{"a":1}', practice.public_key, author.signing_key)
    )
    envelope[FIELDS[field]] ^= 0x01
    expected = UnsupportedVersion if field == "version" else DecryptionFailed
    with pytest.raises(expected):
        check_envelope(bytes(envelope), author.public_keys.verify_key)
    with pytest.raises(expected):
        _open(bytes(envelope), practice, author, ids)


def test_every_byte_position_fails(
    practice: PracticeKeyPair, author: UserKeyPair, ids: Ids
) -> None:
    """Exhaustively: no byte of an envelope can change without the open failing."""
    envelope = seal_item(_header(ids), b"body", practice.public_key, author.signing_key)
    for index in range(1, len(envelope)):
        flipped = bytearray(envelope)
        flipped[index] ^= 0x80
        with pytest.raises(DecryptionFailed, match=r"^decryption failed$"):
            _open(bytes(flipped), practice, author, ids)


def test_moved_item_client_or_author_fails(
    practice: PracticeKeyPair, author: UserKeyPair, ids: Ids
) -> None:
    """Opened under another item id, practice id or author id, the envelope fails."""
    envelope = seal_item(_header(ids), b"x", practice.public_key, author.signing_key)
    other = uuid.UUID(int=42)
    for moved in [(other, ids[1], ids[2]), (ids[0], other, ids[2]), (ids[0], ids[1], other)]:
        with pytest.raises(DecryptionFailed):
            _open(envelope, practice, author, moved)


def test_wrong_keys_fail(practice: PracticeKeyPair, author: UserKeyPair, ids: Ids) -> None:
    """Another author's verify key or another practice's secret key fails."""
    envelope = seal_item(_header(ids), b"x", practice.public_key, author.signing_key)
    impostor = UserKeyPair.generate(DeterministicRandom("impostor"))
    with pytest.raises(DecryptionFailed):
        check_envelope(envelope, impostor.public_keys.verify_key)
    with pytest.raises(DecryptionFailed):
        _open(envelope, PracticeKeyPair.generate(DeterministicRandom("other")), author, ids)


def test_resigned_envelope_with_swapped_ciphertext_fails(
    practice: PracticeKeyPair, author: UserKeyPair, ids: Ids
) -> None:
    """The author re-signing another item's ciphertext under this header still fails: the
    AEAD binds the header."""
    a = seal_item(_header(ids), b"a", practice.public_key, author.signing_key)
    other_ids = (uuid.UUID(int=7), ids[1], ids[2])
    b = seal_item(_header(other_ids), b"b", practice.public_key, author.signing_key)
    header, sealed_key, nonce, ciphertext = a[:63], b[63:143], b[207:231], b[231:]
    ct_hash = _primitives.generichash(32, nonce + ciphertext)
    signature = author.signing_key.sign(SIGNATURE_LABEL + header + sealed_key + ct_hash)
    forged = header + sealed_key + signature + nonce + ciphertext
    assert check_envelope(forged, author.public_keys.verify_key) == _header(ids)
    with pytest.raises(DecryptionFailed):
        _open(forged, practice, author, ids)


@pytest.mark.parametrize(("kind", "urgency"), [(0, 1), (5, 1), (2, 3), (2, 0xFF)])
def test_unknown_kind_or_urgency_fails(ids: Ids, kind: int, urgency: int) -> None:
    """A header with an unknown kind or urgency is refused."""
    header = bytes([1, kind, urgency]) + b"".join(i.bytes for i in ids) + bytes(12)
    with pytest.raises(DecryptionFailed):
        ItemHeader.from_bytes(header)


@pytest.mark.parametrize("length", [0, 1, 50, 62, 246])
def test_short_envelopes_fail(
    practice: PracticeKeyPair, author: UserKeyPair, ids: Ids, length: int
) -> None:
    """Empty or truncated envelopes are DecryptionFailed (never IndexError)."""
    envelope = seal_item(_header(ids), b"x", practice.public_key, author.signing_key)
    with pytest.raises(DecryptionFailed):
        check_envelope(envelope[:length], author.public_keys.verify_key)


def test_unknown_version_is_reported_as_such() -> None:
    """Version 2 is UnsupportedVersion with the version in the message."""
    with pytest.raises(UnsupportedVersion, match="unsupported format version 2") as info:
        read_unverified_header(b"\x02" + bytes(300))
    assert info.value.version == 2


def test_body_encoding_is_canonical() -> None:
    """Keys sorted, no whitespace, UTF-8 not escaped; decoding refuses non-objects."""
    assert encode_body({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    assert decode_body(b'{"a": [1]}') == {"a": [1]}
    for bad in (b"[1]", b"\xff", b"{", b'"x"', b'{"a":NaN}', b'{"a":-Infinity}'):
        with pytest.raises(DecryptionFailed):
            decode_body(bad)


def test_non_canonical_bodies_are_read_as_javascript_reads_them() -> None:
    """Readers accept any JSON object (as JSON.parse does): spacing, key order, escapes;
    a repeated key keeps its last value. Only NaN and Infinity, which JSON.parse refuses,
    are refused here too."""
    assert decode_body(b' { "b" : 1 , "a" : "\\u00e9" , "b" : 2 } ') == {"a": "é", "b": 2}


def test_opened_item_json(practice: PracticeKeyPair, author: UserKeyPair, ids: Ids) -> None:
    """An opened message body parses to its JSON object."""
    body = encode_body({"subject": "Rappel", "text": "Bonjour"})
    envelope = seal_item(_header(ids), body, practice.public_key, author.signing_key)
    assert _open(envelope, practice, author, ids).json() == {"subject": "Rappel", "text": "Bonjour"}
