"""``permanence witness ...``: a standing C2SP ``tlog-witness`` for an auditor.

``serve`` runs the witness (``audit.witness``) over HTTP until interrupted;
``public-key`` prints the witness's ``cosignature/v1`` verifier key, the line
the vault's operator puts in the witness policy file. Neither opens a vault:
the witness is the auditor's, on a machine of the auditor's.
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from audit.cosignature import CosignatureSigner, generate_cosigner_key, parse_cosigner_signer
from audit.errors import AuditError, BadKey
from audit.keys import NoteVerifier, parse_verifier
from audit.witness import StateInUse
from vault.settings import Settings

EXIT_FAILED = 1


def register(
    subparsers: argparse._SubParsersAction[Any],
    settings_of: Callable[[argparse.Namespace], Settings],
) -> None:
    """Add ``permanence witness`` and its subcommands (``settings_of`` is not needed)."""
    witness = subparsers.add_parser(
        "witness", help="run a standing witness that cosigns the audit log's checkpoints"
    )
    sub = witness.add_subparsers(dest="witness_command", metavar="WITNESS_COMMAND")
    sub.required = True

    serve = sub.add_parser("serve", help="cosign consistent checkpoints over HTTP (tlog-witness)")
    _key_options(serve)
    serve.add_argument(
        "--log-key",
        action="append",
        required=True,
        help="the log's verifier key (permanence audit public-key), or a file holding it;"
        " repeatable, one per log followed",
    )
    serve.add_argument("--state-dir", required=True, help="where the witness keeps its views")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8090, help="port to bind (default 8090)")
    serve.add_argument("--prefix", default="", help="URL prefix of the protocol's paths")
    serve.set_defaults(run=lambda args: _guarded(_serve, args))

    public = sub.add_parser("public-key", help="print the witness's verifier key")
    _key_options(public)
    public.set_defaults(run=lambda args: _guarded(_public_key, args))


def _key_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--key", required=True, help="the witness's key file (created if missing)")
    p.add_argument(
        "--name", help="the witness's name, e.g. witness.auditor.example (to create the key)"
    )


def _guarded(fn: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return fn(args)
    except (AuditError, OSError) as e:
        print(f"permanence: {e}", file=sys.stderr)
        return EXIT_FAILED


def load_or_create_key(path: Path, name: str | None) -> CosignatureSigner:
    """The witness key in ``path``; created (mode 0600) on first run, which needs ``name``."""
    if not path.exists():
        if not name:
            raise BadKey(f"{path} does not exist: give --name to create the witness's key")
        text = generate_cosigner_key(name) + "\n"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise BadKey(f"{path} is readable by others (mode {mode:o}): chmod 600 it first")
    signer = parse_cosigner_signer(path.read_text(encoding="utf-8"))
    if name and signer.name != name:
        raise BadKey(f"{path} holds the key of {signer.name!r}, not of {name!r}")
    return signer


def _log_key(value: str) -> NoteVerifier:
    return parse_verifier(value if "+" in value else Path(value).read_text(encoding="utf-8"))


def _public_key(args: argparse.Namespace) -> int:
    print(load_or_create_key(Path(args.key), args.name).verifier)
    return 0


def _serve(args: argparse.Namespace) -> int:
    from audit.witness import Witness
    from audit.witness_http import make_server

    signer = load_or_create_key(Path(args.key), args.name)
    logs = [_log_key(k) for k in args.log_key]
    state = Path(args.state_dir)
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock = _lock(state)  # held until the process ends: one witness per state directory
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server = make_server(Witness(signer, logs, state, time.time), args.host, args.port, args.prefix)
    host, port = server.server_address[:2]
    print(f"witness {signer.verifier}", flush=True)
    print(f"listening on http://{host!s}:{port}{args.prefix.rstrip('/')}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        os.close(lock)
    return 0


def _lock(state: Path) -> int:
    fd = os.open(state / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise StateInUse(
            f"another witness is already running on {state}: one witness per state directory"
        ) from None
    return fd
