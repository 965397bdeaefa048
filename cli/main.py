"""The ``permanence`` command."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from collections.abc import Sequence
from typing import Any

from vault.errors import VaultError
from vault.settings import Settings

EXIT_ERROR = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that says what is wrong in one sentence, without a usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"permanence: {message} (see 'permanence --help')\n")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line, or, given ``argv``, only the group of the command it names
    for real (the others by name and help: ``permanence --help`` loads no command module)."""
    parser = _Parser(
        prog="permanence",
        description="Permanence: an end-to-end encrypted vault for remote secretarial services.",
    )
    parser.add_argument(
        "--data-dir",
        help="data directory (default: $PERMANENCE_DATA_DIR or ./data)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    init = commands.add_parser("init", help="create a new vault: data directory, keys, database")
    init.set_defaults(run=_cmd_init)

    serve = commands.add_parser("serve", help="run the web server (uvicorn)")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default 8000)")
    serve.set_defaults(run=_cmd_serve)

    demo = commands.add_parser(
        "demo", help="create a demo vault with demo data if there is none, then serve it"
    )
    demo.add_argument("--host", help="address to bind (default 127.0.0.1)")
    demo.add_argument("--port", type=int, help="port to bind (default 8000)")
    demo.set_defaults(run=_cmd_demo)

    init.add_argument("--admin-username", default="admin", help="the first admin's username")
    init.add_argument("--admin-name", default="Administrator", help="the first admin's full name")

    from cli import commands as extra

    if argv is None:
        extra.register(commands, _settings, every=True)
    else:
        extra.register(commands, _settings, extra.chosen_command(argv))
    return parser


def _settings(args: argparse.Namespace, **overrides: object) -> Settings:
    from cli.config import load_settings

    clean = {k: v for k, v in overrides.items() if v is not None}
    return load_settings(os.environ, data_dir=args.data_dir, overrides=clean)


def _cmd_init(args: argparse.Namespace) -> int:
    from cli.operator import command_line
    from cli.users_cmd import invite_link
    from vault.identity.roles import Role
    from vault.storage.datadir import initialise, undone_on_failure

    settings = _settings(args)
    request = command_line("init")
    with undone_on_failure(settings.layout):  # the first admin's invitation too
        result = initialise(settings, request)
        link = invite_link(
            settings, Role.ADMIN, args.admin_username, args.admin_name, request=request
        )
    print(f"Created a new vault in {result.layout.root}")
    if result.distributed:
        print("  database: PostgreSQL at database_url (schema created, audit log started)")
    elif result.key_in_file:
        print(f"  database key: {result.layout.db_key_file} (mode 0600; back it up separately)")
    else:
        print("  database key: taken from PERMANENCE_DB_KEY (not written to disk)")
    print(f"  audit signing key: {result.layout.audit_key_file} (mode 0600)")
    print(f"First administrator ({args.admin_username}): open this single-use link to enrol,")
    print(f"valid 7 days:\n  {link}")
    return 0


def _warn_if_exposed(host: str) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        print(
            f"permanence: warning: listening on {host}, beyond this machine; this server speaks"
            " plain HTTP, so terminate TLS in front of it (reverse proxy) and set"
            " PERMANENCE_BEHIND_TLS=true",
            file=sys.stderr,
        )


# httptools (C HTTP parser) and uvloop (libuv event loop), named rather than left to
# uvicorn's "auto": per request they cost a fraction of h11 and asyncio's selector loop.
SERVE_HTTP = "httptools"
SERVE_LOOP = "uvloop"


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How ``serve`` runs uvicorn: every option that matters is explicit, none from its defaults.

    Proxy headers (``X-Forwarded-For``, ``X-Forwarded-Proto``) are believed only from
    ``trusted_proxies``; uvicorn's own default would believe them from 127.0.0.1, so a
    client of a same-host proxy that passes the header through could pick its own IP.
    """
    return {
        "host": settings.host,
        "port": settings.port,
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies),
        "access_log": False,  # request lines may carry ids of people's items
        "log_level": "warning",
        "server_header": False,
        "date_header": True,
        "http": SERVE_HTTP,
        "loop": SERVE_LOOP,
    }


def _warn_if_proxied_without_trust(settings: Settings) -> None:
    if settings.behind_tls and not settings.trusted_proxies:
        print(
            "permanence: warning: behind_tls is set but trusted_proxies is empty, so every"
            " client has the proxy's address (one sign-in throttle for all, one IP in the"
            " audit log); set PERMANENCE_TRUSTED_PROXIES to the proxy's address",
            file=sys.stderr,
        )


def _serve(settings: Settings) -> int:
    import uvicorn

    from vault.opening import open_vault
    from web.app import create_app

    # Opened here, before uvicorn starts, so a wrong key, a wrong audit_origin or a damaged
    # file is one clear sentence rather than a traceback from the server's start-up; closed
    # once uvicorn has returned, after the app's lifespan has stopped its background jobs.
    with open_vault(settings) as vault:
        _warn_if_exposed(settings.host)
        _warn_if_proxied_without_trust(settings)
        app = create_app(vault)
        print(f"Permanence is listening on http://{settings.host}:{settings.port}/", flush=True)
        uvicorn.run(app, **uvicorn_options(settings))
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    return _serve(_settings(args, host=args.host, port=args.port))


def _cmd_demo(args: argparse.Namespace) -> int:
    from cli.demo import print_demo_logins, seed_demo
    from cli.operator import command_line
    from vault.storage.datadir import initialise

    settings = _settings(args, host=args.host, port=args.port)
    if not settings.layout.database.exists():
        initialise(settings, command_line("demo"))
        print(f"Created a demo vault in {settings.layout.root}")
        seed_demo(settings)
    else:
        print(f"Using the existing demo vault in {settings.layout.root}")
    print_demo_logins(settings)
    return _serve(settings)


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(0o077)  # every file the vault writes (database, WAL, blobs, keys) is private
    words = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(words).parse_args(words)
    if not hasattr(args, "run"):  # a command the quick look at ``words`` did not recognise
        args = build_parser().parse_args(words)
    try:
        code: int = args.run(args)
    except VaultError as e:
        print(f"permanence: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except OSError as e:
        print(f"permanence: {e.strerror or e}: {e.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_ERROR
    return code


if __name__ == "__main__":
    sys.exit(main())
