"""``permanence users``: invitations and the list of accounts, for operators at the console."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from cli.operator import command_line
from vault.env import RequestInfo
from vault.identity import accounts
from vault.identity.roles import Role
from vault.settings import Settings


def register(
    commands: argparse._SubParsersAction[Any], settings_of: Callable[[argparse.Namespace], Settings]
) -> None:
    users = commands.add_parser("users", help="invite people and list accounts")
    sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    invite = sub.add_parser("invite", help="create a single-use invitation link")
    invite.add_argument("--role", required=True, choices=[str(r) for r in Role])
    invite.add_argument("--username", required=True)
    invite.add_argument("--name", required=True, help="full name shown to colleagues")
    invite.add_argument("--practice", help="practice name (client members only; created if new)")
    invite.set_defaults(run=lambda args: _invite(settings_of(args), args))

    listing = sub.add_parser("list", help="list accounts (no content, no keys)")
    listing.set_defaults(run=lambda args: _list(settings_of(args)))

    assignments = commands.add_parser(
        "assignments", help="list, add or end secretaries' assignments to practices"
    )
    what = assignments.add_subparsers(dest="assignments_command", metavar="ACTION", required=True)
    what.add_parser("list", help="practices and their secretaries").set_defaults(
        run=lambda args: _assignments(settings_of(args))
    )
    for name, assigned in (("add", True), ("remove", False)):
        change = what.add_parser(name, help=f"{name} a secretary's assignment")
        change.add_argument("--secretary", required=True, help="the secretary's username")
        change.add_argument("--practice", required=True, help="the practice's name")
        change.set_defaults(
            run=lambda args, assigned=assigned: _assign(settings_of(args), args, assigned)
        )


def invite_link(
    settings: Settings,
    role: Role,
    username: str,
    name: str,
    practice: str | None = None,
    *,
    request: RequestInfo | None = None,
) -> str:
    from cli.context import open_env

    with open_env(settings) as env:
        invitation = accounts.invite(
            env,
            request or command_line("users invite"),
            None,
            username=username,
            display_name=name,
            role=role,
            practice_name=practice,
        )
    return invitation.link(settings.base_url)


def _invite(settings: Settings, args: argparse.Namespace) -> int:
    link = invite_link(settings, Role(args.role), args.username, args.name, args.practice)
    print(f"Invitation for {args.username} ({args.role}), valid 7 days, single use:")
    print(f"  {link}")
    return 0


def _list(settings: Settings) -> int:
    from cli.context import open_env

    with open_env(settings) as env:
        for a in accounts.list_all(env):
            practice = f"  [{a.practice_name}]" if a.practice_name else ""
            print(f"{a.username:<24} {a.role:<10} {a.status:<9} {a.display_name}{practice}")
    return 0


def _assignments(settings: Settings) -> int:
    from cli.context import open_env
    from vault.identity import practices

    with open_env(settings) as env:
        for p in practices.list_practices(env):
            served = ", ".join(p.secretaries) or "-"
            print(f"{p.name:<32} {p.fingerprint or '(no key yet)':<20} {served}")
    return 0


def _assign(settings: Settings, args: argparse.Namespace, assigned: bool) -> int:
    from cli.context import open_env
    from vault.identity import practices

    with open_env(settings) as env:
        request = command_line("assignments add" if assigned else "assignments remove")
        practices.assign_by_name(env, request, args.secretary, args.practice, assigned)
    verb = "now serves" if assigned else "no longer serves"
    print(f"{args.secretary} {verb} {args.practice}.")
    return 0
