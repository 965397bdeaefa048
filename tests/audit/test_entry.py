"""Audit entries: canonical, bounded, content-free records."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from audit.entry import Action, Actor, AuditEntry, decode, encode, format_time
from audit.errors import EntryTooLarge, InvalidEntry

AT = datetime(2026, 11, 27, 23, 44, 0, 123456, tzinfo=UTC)


def _entry(**kw: object) -> AuditEntry:
    fields: dict[str, object] = {
        "actor": Actor(account="a1", name="dr.martin", role="client"),
        "targets": {"item": "i9", "client": "c3"},
        "request": "r-1",
        "ip": "2001:db8::1",
    }
    fields.update(kw)
    return AuditEntry.new(Action.ITEM_DOWNLOADED, now=AT, **fields)


def test_encoding_is_the_documented_canonical_json() -> None:
    """The leaf is compact UTF-8 JSON, index first, nested keys sorted, time in RFC 3339 ms."""
    leaf = encode(_entry(detail={"size": 12, "kind": "extract"}), 5)
    assert leaf == (
        b'{"index":5,"v":1,"at":"2026-11-27T23:44:00.123Z","action":"item.downloaded",'
        b'"outcome":"ok","actor":{"account":"a1","name":"dr.martin","role":"client"},'
        b'"targets":{"client":"c3","item":"i9"},"request":"r-1","ip":"2001:db8::1",'
        b'"detail":{"kind":"extract","size":12}}'
    )


def test_decode_round_trips_and_refuses_non_canonical_forms() -> None:
    """decode(encode(e)) gives e back; the same JSON with a space or other order is refused."""
    e = _entry(detail={"reason": "élevé"})
    leaf = encode(e, 42)
    logged = decode(leaf)
    assert logged.index == 42 and logged.entry == e
    obj = json.loads(leaf)
    for other in (
        json.dumps(obj).encode(),
        json.dumps(obj, separators=(",", ":"), sort_keys=True).encode(),
        json.dumps(obj, separators=(",", ":")).encode(),  # ASCII escapes instead of UTF-8
    ):
        with pytest.raises(InvalidEntry):
            decode(other)


def test_time_is_normalised_to_utc_milliseconds() -> None:
    """A time in another zone is stored as the same instant in UTC, truncated to ms."""
    paris = datetime(2026, 11, 28, 0, 44, 0, 123999, tzinfo=timezone(timedelta(hours=1)))
    assert format_time(_entry().at) == "2026-11-27T23:44:00.123Z"
    e = AuditEntry.new(Action.LOGIN_FAILED, now=paris)
    assert format_time(e.at) == "2026-11-27T23:44:00.123Z"
    with pytest.raises(InvalidEntry):
        AuditEntry.new(Action.LOGIN_FAILED, now=datetime(2026, 1, 1))


def test_entries_are_refused_from_64_kib() -> None:
    """An entry whose encoding reaches 64 KiB raises EntryTooLarge; a smaller one is fine."""
    big = {f"k{i}": "x" * 8000 for i in range(9)}
    with pytest.raises(EntryTooLarge):
        encode(_entry(detail=big), 0)
    encode(_entry(detail={f"k{i}": "x" * 7000 for i in range(9)}), 0)


def test_unknown_actions_and_content_like_values_are_refused() -> None:
    """Writing needs a known Action; targets are short ids, never nested content."""
    with pytest.raises(InvalidEntry):
        AuditEntry.new("item.burned", now=AT)  # type: ignore[arg-type]
    with pytest.raises(InvalidEntry):
        _entry(targets={"item": "x" * 300})
    with pytest.raises(InvalidEntry):
        _entry(detail={"note": {"text": "the caller said..."}})
    with pytest.raises(InvalidEntry):
        _entry(outcome="maybe")


def test_every_action_name_is_well_formed_and_unique() -> None:
    """The documented list: dotted lower-case names, no duplicates."""
    names = [a.value for a in Action]
    assert len(names) == len(set(names))
    for name in names:
        AuditEntry(at=AT, action=name)


def test_control_characters_are_escaped_as_docs_audit_md_says() -> None:
    """U+0000..U+001F become \\b \\t \\n \\f \\r or \\u00xx (lowercase hex); quote and
    backslash take a backslash; U+007F and non-ASCII stay raw UTF-8."""
    leaf = encode(_entry(detail={"ua": '\x00\x08\t\n\x0c\r\x1f\x7f"\\é\u2028'}), 0)
    assert b'"detail":{"ua":"\\u0000\\b\\t\\n\\f\\r\\u001f\x7f\\"\\\\\xc3\xa9\xe2\x80\xa8"}' in leaf
    assert decode(leaf).entry.detail["ua"] == '\x00\x08\t\n\x0c\r\x1f\x7f"\\é\u2028'


@pytest.mark.parametrize(
    "fields",
    [
        {"actor": Actor(name="x\ud800")},
        {"detail": {"typed": "\udc00"}},
        {"targets": {"item": "\ud83d"}},
    ],
)
def test_lone_surrogates_are_an_invalid_entry(fields: dict[str, object]) -> None:
    """Text that is not valid Unicode has no UTF-8 encoding: refused as InvalidEntry when
    the entry is made (it used to escape as a UnicodeEncodeError when it was appended)."""
    with pytest.raises(InvalidEntry, match="surrogate"):
        _entry(**fields)


def test_integers_stay_within_what_every_json_reader_holds_exactly() -> None:
    """Detail integers are bounded by 2**53 - 1 either way."""
    assert decode(encode(_entry(detail={"n": 2**53 - 1, "m": -(2**53 - 1)}), 0))
    for n in (2**53, -(2**53)):
        with pytest.raises(InvalidEntry):
            _entry(detail={"n": n})


def test_times_are_read_exactly_as_written() -> None:
    """format_time and parse_time round-trip; any other text, even with only a trailing
    newline, and impossible dates are refused (the reading is fast, never lenient)."""
    from datetime import UTC, datetime

    from audit.entry import format_time, parse_time

    at = datetime(2026, 11, 27, 23, 44, 0, 123000, tzinfo=UTC)
    assert parse_time(format_time(at)) == at
    for text in (
        "2026-11-27T23:44:00.123Z\n",
        "2026-11-27T23:44:00.123",
        "2026-11-27 23:44:00.123Z",
    ):
        with pytest.raises(InvalidEntry):
            parse_time(text)
    for text in ("2026-13-01T00:00:00.000Z", "2026-02-30T00:00:00.000Z"):
        with pytest.raises(ValueError, match=r"out of range|must be in"):
            parse_time(text)
