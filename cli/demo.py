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
from crypto import totp
from crypto.secret import Secret
from vault import accounts, enrollment, practices
from vault.env import Env, RequestInfo
from vault.errors import Forbidden
from vault.keymaterial import EnrolmentMaterial
from vault.roles import Role
from vault.settings import Settings

DEMO = RequestInfo(request_id="demo", user_agent="permanence demo")
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
    invitation = accounts.invite(
        env,
        DEMO,
        None,
        username=user.username,
        display_name=user.name,
        role=user.role,
        practice_name=user.practice,
    )
    offer = enrollment.offer(env, invitation.token)
    body, _recovery = enrolment_body(
        offer.account_id,
        user.password,
        totp.code_at(offer.totp_secret, env.now()),
        practice_id=offer.practice_id,
        create_practice_key=offer.practice_id is not None and offer.practice_pk is None,
    )
    enrollment.enroll(env, DEMO, invitation.token, EnrolmentMaterial.parse(body), body["code"])
    return offer.account_id


def seed_demo(settings: Settings) -> None:
    with open_env(settings) as env:
        env.db.write(lambda c: c.execute("INSERT INTO vault_meta VALUES ('demo', '1')"))
        ids = {user.username: _enrol(env, user) for user in USERS}
        practice_id = env.db.read(
            lambda c: c.execute("SELECT id FROM practice WHERE name = ?", (PRACTICE,)).fetchone()[0]
        )
        admin = env.db.read(lambda c: accounts.get(c, ids["admin"]))
        from vault.env import Principal

        practices.set_assignment(
            env,
            DEMO,
            Principal(admin.id, admin.username, admin.role),
            ids["sophie"],
            practice_id,
            True,
        )


def print_demo_logins(settings: Settings) -> None:
    print("\nDemo accounts (username / password):")
    for user in USERS:
        print(f"  {user.username:<10} {user.password!r:<36} {user.role}")
    print(
        "Sign-in also asks for an authenticator code: get a current one with\n"
        f"  .venv/bin/permanence --data-dir {settings.data_dir} demo-code USERNAME\n"
    )


def _is_demo(env: Env) -> bool:
    row = env.db.read(
        lambda c: c.execute("SELECT value FROM vault_meta WHERE key = 'demo'").fetchone()
    )
    return row is not None and row[0] == "1"


def demo_code(settings: Settings, username: str) -> str:
    with open_env(settings) as env:
        if not _is_demo(env):
            raise Forbidden("demo-code only works on a vault created by 'permanence demo'")
        row = env.db.read(
            lambda c: c.execute(
                "SELECT totp_secret FROM account WHERE username = ?", (username.lower(),)
            ).fetchone()
        )
        if row is None or row[0] is None:
            raise Forbidden(f"no enrolled demo account named {username!r}")
        return totp.code_at(Secret(bytes(row[0])), env.now())


def register(commands: argparse._SubParsersAction[Any], settings_of: Any) -> None:
    code = commands.add_parser(
        "demo-code", help="print a current authenticator code for a demo account (demo vaults only)"
    )
    code.add_argument("username")

    def run(args: argparse.Namespace) -> int:
        print(demo_code(settings_of(args), args.username))
        return 0

    code.set_defaults(run=run)
