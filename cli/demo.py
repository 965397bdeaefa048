"""Demo data: a practice, a secretary, an auditor, an admin; printed logins.

Demo accounts are enrolled exactly as browsers enrol (keys made with
``crypto/`` on this side, never by the server). Their passwords are printed,
and since a demo visitor has no authenticator app set up yet, the demo vault
is marked as such and ``permanence demo-code USERNAME`` prints a current TOTP
code — a command that refuses to run on any vault not created by ``demo``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from cli.client import enrolment_body
from cli.context import open_env
from cli.operator import command_line
from crypto import totp
from vault import demo
from vault.env import Env, RequestInfo
from vault.identity import accounts, enrolment, practices
from vault.identity.keymaterial import EnrolmentMaterial
from vault.identity.roles import Role
from vault.ids import new_item_id
from vault.notify import ladder
from vault.settings import Settings

DEMO = command_line("demo")
PRACTICE = "Cabinet du Dr Martin"


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    name: str
    role: Role
    password: str
    practice: str | None = None


USERS = (
    DemoUser("admin", "Alice Admin", Role.ADMIN, "demo admin correct horse battery"),
    DemoUser("dr.martin", "Dr Claire Martin", Role.MEMBER, "demo cabinet martin", PRACTICE),
    DemoUser("sophie", "Sophie Secrétaire", Role.SECRETARY, "demo secretaire sophie"),
    DemoUser("audrey", "Audrey Auditrice", Role.AUDITOR, "demo auditrice audrey 2026"),
)


def _enrol(env: Env, user: DemoUser) -> str:
    return _enrol_with_body(env, user)[0]


def _enrol_with_body(env: Env, user: DemoUser) -> tuple[str, dict[str, Any]]:
    invitation = accounts.invite(
        env,
        DEMO,
        None,
        username=user.username,
        display_name=user.name,
        role=user.role,
        practice_name=user.practice,
    )
    offer = enrolment.offer(env, invitation.token)
    secret = totp.new_totp_secret(env.randbytes)
    body, _recovery = enrolment_body(
        offer.account_id,
        user.password,
        totp.code_at(secret, env.now()),
        totp_secret=secret,
        practice_id=offer.practice_id,
        create_practice_key=offer.practice_id is not None and offer.practice_pk is None,
    )
    enrolment.enrol(env, DEMO, invitation.token, EnrolmentMaterial.parse(body), body["code"])
    return offer.account_id, body


def seed_demo(settings: Settings) -> None:
    with open_env(settings) as env:
        demo.mark_as_demo(env)
        enrolled = {user.username: _enrol_with_body(env, user) for user in USERS}
        ids = {name: account_id for name, (account_id, _) in enrolled.items()}
        practice_id, _ = demo.practice_by_name(env, PRACTICE)
        admin = accounts.account(env, ids["admin"])
        from vault.env import Principal

        practices.set_assignment(
            env,
            DEMO,
            Principal(admin.id, admin.username, admin.role),
            ids["sophie"],
            practice_id,
            True,
        )
        for username, (email, phone) in demo.DEMO_CONTACTS.items():
            demo.add_verified_contacts(env, DEMO, ids[username], email, phone)
        member = Principal(ids["dr.martin"], "dr.martin", Role.MEMBER, practice_id)
        ladder.replace(env, DEMO, member, demo.demo_ladder(ids["dr.martin"]))
        sophie = next(u for u in USERS if u.username == "sophie")
        deposit_demo_items(env, DEMO, ids["sophie"], sophie.password, enrolled["sophie"][1])


def deposit_demo_items(
    env: Env, request: RequestInfo, secretary_id: str, password: str, body: dict[str, Any]
) -> None:
    """A few items deposited as the demo secretary, sealed and signed on this side."""
    import io
    import uuid as uuidlib
    from datetime import timedelta

    from crypto.encoding import b64url_decode
    from crypto.envelope import ItemHeader, ItemKind, Urgency, encode_body, seal_item
    from crypto.kdf import KdfParams, derive_password_keys
    from crypto.stream import FileManifest, encrypt_stream, new_file_key
    from crypto.user_keys import WrapPurpose, unwrap_user_keys
    from vault.env import Principal
    from vault.items import deposits, uploads
    from vault.items.calltime import vault_created_at

    kek = derive_password_keys(password, KdfParams.from_json(body["kdf"])).kek
    keys = unwrap_user_keys(
        b64url_decode(body["wrapped_kek"]), kek, WrapPurpose.PASSWORD, uuidlib.UUID(secretary_id)
    )
    principal = Principal(secretary_id, "sophie", Role.SECRETARY)
    practice_id, practice_pk = demo.practice_by_name(env, PRACTICE)
    assert practice_pk is not None  # noqa: S101 - the demo member enrolled first and made it
    now = env.now()

    def put(kind: ItemKind, urgency: Urgency, data: bytes, **extra: Any) -> None:
        item_id = new_item_id()
        started = extra.get("call_started_at")
        header = ItemHeader(
            kind,
            urgency,
            uuidlib.UUID(item_id),
            uuidlib.UUID(practice_id),
            uuidlib.UUID(secretary_id),
            call_started_at=0 if started is None else int(started.timestamp()),
            call_seconds=extra.get("call_seconds") or 0,
        )
        envelope = seal_item(header, data, practice_pk, keys.signing_key)
        upload_id = None
        if "stream" in extra:
            stream = extra.pop("stream")
            up = uploads.start_upload(env, request, principal, practice_id, item_id, len(stream))
            uploads.append(env, request, principal, up.id, 0, [stream], len(stream))
            upload_id = up.id
        deposits.deposit(
            env,
            request,
            principal,
            deposits.Deposit(item_id, practice_id, envelope, upload_id, **extra),
        )

    calls = [
        (
            "Mme Jeanne Roux",
            "self",
            "06 12 34 56 78",
            "Douleurs abdominales depuis hier soir",
            Urgency.URGENT,
            "dès que possible",
            185,
        ),
        (
            "M. Paul Girard (fils d'un patient)",
            "third_party",
            "07 98 76 54 32",
            "Demande de renouvellement d'ordonnance pour son père",
            Urgency.NORMAL,
            "après 17 h",
            120,
        ),
        (
            "Laboratoire Bio+",
            "third_party",
            "01 23 45 67 89",
            "Résultats d'analyses disponibles",
            Urgency.LOW,
            "indifférent",
            60,
        ),
    ]
    for n, (name, who, number, reason, urgency, best, seconds) in enumerate(calls):
        # Calls that just ended; none may start before the vault existed (a second ago).
        ago = timedelta(seconds=seconds + 60 * (3 - n))
        started = max(now - ago, vault_created_at(env)).replace(microsecond=0)
        note = {
            "caller_name": name,
            "caller_is": who,
            "callback_number": number,
            "reason": reason,
            "best_time": best,
            "notes": "",
        }
        put(
            ItemKind.CALL_NOTE,
            urgency,
            encode_body(note),
            call_started_at=started,
            call_seconds=seconds,
        )
    put(
        ItemKind.MESSAGE,
        Urgency.NORMAL,
        encode_body(
            {"subject": "Fournitures", "text": "La livraison de gants est prévue jeudi matin."}
        ),
    )
    csv = "patient;rendez-vous;motif\nRoux Jeanne;2026-12-01 09:00;contrôle\n".encode()
    key = new_file_key()
    out = io.BytesIO()
    info = encrypt_stream(io.BytesIO(csv), out, key)
    manifest = FileManifest("rendez-vous.csv", "text/csv", info.size, key, info.stream_hash)
    put(ItemKind.EXTRACT, Urgency.NORMAL, manifest.to_body(), stream=out.getvalue())


def print_demo_logins(settings: Settings) -> None:
    print("\nDemo accounts (username / password):")
    for user in USERS:
        print(f"  {user.username:<10} {user.password!r:<36} {user.role}")
    print(
        "Sign-in also asks for an authenticator code: get a current one with\n"
        f"  .venv/bin/permanence --data-dir {settings.data_dir} demo-code USERNAME\n"
    )


def demo_code(settings: Settings, username: str) -> str:
    with open_env(settings) as env:
        return demo.demo_code(env, username)


def register(commands: argparse._SubParsersAction[Any], settings_of: Any) -> None:
    code = commands.add_parser(
        "demo-code", help="print a current authenticator code for a demo account (demo vaults only)"
    )
    code.add_argument("username")

    def run(args: argparse.Namespace) -> int:
        print(demo_code(settings_of(args), args.username))
        return 0

    code.set_defaults(run=run)
