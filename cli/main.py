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
    serve.add_argument(
        "--workers",
        type=_worker_count,
        default=1,
        help="server processes sharing the address (default 1; see docs/operations.md)",
    )
    # A worker of ``--workers``: the supervisor's listening socket, by its descriptor, and
    # the supervisor's pid (the worker stops once it is gone).
    serve.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)
    serve.add_argument("--supervisor", type=int, help=argparse.SUPPRESS)
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


def _check_file_store(settings: Settings) -> None:
    """The object store, once before listening: wrong keys or a missing bucket stop the
    start-up with their sentence (they never mend by themselves); a store that does not
    answer is a warning, since everything but extract files works without it
    (docs/decisions.md, fix-review16)."""
    from vault.errors import FileStoreUnavailable
    from vault.storage.blobs import check_blob_store

    try:
        check_blob_store(settings)
    except FileStoreUnavailable as e:
        if str(e) != FileStoreUnavailable.message:  # the keys or the bucket: configuration
            raise
        print(
            "permanence: warning: the object store (blob_store.url) cannot be reached right"
            " now; starting anyway: extract files are refused (503) until it answers",
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
        _check_file_store(settings)
        _warn_if_exposed(settings.host)
        _warn_if_proxied_without_trust(settings)
        app = create_app(vault)
        print(f"Permanence is listening on http://{settings.host}:{settings.port}/", flush=True)
        uvicorn.run(app, **uvicorn_options(settings))
    return 0


MAX_WORKERS = 64


def _worker_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"--workers takes a whole number from 1 to {MAX_WORKERS}, not {text!r}"
        )
    return count


def _serve_workers(args: argparse.Namespace, settings: Settings) -> int:
    """``serve --workers N``: check the vault opens, bind once, run N workers under a supervisor."""
    from cli.workers import Supervisor, bind
    from vault.opening import open_vault

    with open_vault(settings):  # a wrong key or a damaged file: one sentence, before any worker
        pass
    _check_file_store(settings)
    _warn_if_exposed(settings.host)
    _warn_if_proxied_without_trust(settings)
    sock = bind(settings.host, settings.port)

    def command(fd: int) -> list[str]:
        global_args = [] if args.data_dir is None else ["--data-dir", args.data_dir]
        serve = ["serve", "--host", settings.host, "--port", str(settings.port)]
        worker = ["--listen-fd", str(fd), "--supervisor", str(os.getpid())]
        # -P: never the current directory first on sys.path (a planted cli/ there would run)
        return [sys.executable, "-P", "-m", "cli.main", *global_args, *serve, *worker]

    supervisor = Supervisor(command, args.workers, sock)
    print(
        f"Permanence is listening on http://{settings.host}:{settings.port}/"
        f" ({args.workers} worker processes)",
        flush=True,
    )
    return supervisor.run()


def _serve_worker(settings: Settings, fd: int, supervisor: int | None) -> int:
    """One worker of ``serve --workers``: its own database and background jobs, on ``fd``."""
    import uvicorn

    from cli.workers import stop_when_orphaned, worker_socket
    from vault.opening import open_vault
    from web.app import create_app

    if supervisor is not None:
        stop_when_orphaned(supervisor)
    sock = worker_socket(fd)
    with open_vault(settings) as vault:
        server = uvicorn.Server(uvicorn.Config(create_app(vault), **uvicorn_options(settings)))
        server.run(sockets=[sock])
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args, host=args.host, port=args.port)
    if args.listen_fd is not None:
        return _serve_worker(settings, args.listen_fd, args.supervisor)
    if args.workers > 1:
        return _serve_workers(args, settings)
    return _serve(settings)


def _cmd_demo(args: argparse.Namespace) -> int:
    from cli.demo import print_demo_logins, seed_demo
    from cli.operator import command_line
    from vault.storage.datadir import initialise

    settings = _settings(args, host=args.host, port=args.port)
    made = settings.layout.server_secret_file if settings.distributed_database else None
    if not (made or settings.layout.database).exists():
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
        from cli.language import refusal  # the catalogue loads only for a refusal

        print(f"permanence: {refusal(str(e), os.environ)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except OSError as e:
        print(f"permanence: {e.strerror or e}: {e.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_ERROR
    return code


if __name__ == "__main__":
    sys.exit(main())
