"""Arranging the inbox-rows tests: demo-like call notes deposited over HTTP, thousands of
older items seeded at once through ``tests.factories.seed_items``, and what the database
and the audit log say afterwards."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from audit.log import AuditLog
from cli.client import HttpTransport
from cli.client import sign_in as client_sign_in
from crypto.encoding import b64url_decode
from crypto.envelope import ItemKind, Urgency
from tests.e2e.trust_site import Practice, just_started
from tests.factories import Seeded, seed_items
from tests.people import Person

# Like the demo's notes (cli/demo.py): who called, why, and the number to call back.
DEMO_NOTES = (
    ("Mme Lefèvre", "Résultats d'analyse à commenter", "06 12 34 56 78", Urgency.URGENT),
    ("M. Dupont", "Renouvellement d'ordonnance", "+33 (0)1 23 45 67 89", Urgency.NORMAL),
    ("Jeanne Martin", "Déplacer le rendez-vous de jeudi", "07 98 76 54 32", Urgency.LOW),
)


def note_body(caller: str, reason: str, number: str) -> dict[str, object]:
    return {
        "caller_name": caller,
        "caller_is": "self",
        "callback_number": number,
        "reason": reason,
        "best_time": "avant midi",
        "notes": "",
    }


def seed_older(practice: Practice, secretary: Person, count: int, *, extra: int = 0) -> list[str]:
    """``count`` older call notes (days to years back), signed with the secretary's own key
    (unlocked over HTTP as ``permanence deposit`` does); with ``extra``, note number
    ``extra`` is Mme Lefèvre's old call. Returns the ids, newest first."""
    transport = HttpTransport(practice.vault.base_url)
    unlocked = client_sign_in(transport, secretary.username, secretary.password, secretary.code())
    (info,) = [p for p in transport.get_json("/workspace")["practices"] if p["id"] == practice.id]
    now = datetime.now(UTC).replace(microsecond=0)
    items = []
    for n in range(count):
        caller, reason = f"Patient {n}", f"Motif ordinaire n°{n}"
        if extra and n == extra:
            caller, reason = "Mme Lefèvre-Durand", "Ancienne demande de certificat"
        items.append(
            Seeded(
                note_body(caller, reason, f"01 02 03 {n % 100:02d} 04"),
                now - timedelta(hours=2 + n * 7),
                ItemKind.CALL_NOTE,
                Urgency.NORMAL,
            )
        )
    return seed_items(
        practice.vault.env,
        practice.id,
        b64url_decode(info["public_key"]),
        unlocked.account_id,
        unlocked.keys.signing_key,
        items,
    )


def statuses(practice: Practice) -> dict[str, str]:
    rows = practice.vault.env.db.read(
        lambda c: c.execute(
            "SELECT id, status FROM item WHERE practice_id = ?", (practice.id,)
        ).fetchall()
    )
    return {str(i): str(s) for i, s in rows}


def entries(practice: Practice, action: str) -> list[dict[str, object]]:
    leaves = practice.vault.env.db.read(lambda c: list(AuditLog().leaves(c)))
    return [e for e in (json.loads(leaf) for leaf in leaves) if e["action"] == action]


def listed_ids(entry: dict[str, object]) -> list[str]:
    targets = dict(entry["targets"])  # type: ignore[call-overload]
    return [i for k, v in sorted(targets.items()) if k.startswith("items_") for i in v.split()]


def deposit_note(
    practice: Practice, secretary: Person, caller: str, reason: str, number: str, urgency: Urgency
) -> str:
    """A call note sealed and signed by ``secretary``, deposited over HTTP; returns its id."""
    when = just_started()
    extra = {"call_started_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "call_seconds": 95}
    body = note_body(caller, reason, number)
    return practice._deposit(
        secretary, ItemKind.CALL_NOTE, urgency, body, extra, (int(when.timestamp()), 95)
    )
