"""``permanence migrate-to DATABASE_URL BLOB_URL``: move an embedded vault into the
distributed backend (``vault.storage.moving``), with progress on the terminal.

The object store's access key pair is read from the settings (``[blob_store]`` or
``PERMANENCE_BLOB_STORE_ACCESS_KEY_ID`` / ``_SECRET_ACCESS_KEY``) and the database's
password from libpq's ``PGPASSWORD`` or ``~/.pgpass``: nothing secret on the command line,
where other users of the machine can read it. A refusal is one sentence in English, then
the same in French.
"""

from __future__ import annotations

import argparse
import base64
import logging
import sys
from collections.abc import Callable
from typing import Any

from vault.settings import Settings
from vault.storage import moving

EXIT_REFUSED = 1
MIB = 1024 * 1024


def register(
    commands: argparse._SubParsersAction[Any], settings_of: Callable[[argparse.Namespace], Settings]
) -> None:
    move = commands.add_parser(
        "migrate-to",
        help="copy this embedded vault into PostgreSQL and an S3-compatible object store",
        description=(
            "Copy the data directory's embedded vault (SQLCipher database and blobs/) into an"
            " empty PostgreSQL database and an object store bucket. Stop the server first."
            " The object store's keys come from [blob_store] or"
            " PERMANENCE_BLOB_STORE_ACCESS_KEY_ID / _SECRET_ACCESS_KEY, the database's"
            " password from PGPASSWORD or ~/.pgpass."
        ),
    )
    move.add_argument(
        "database_url",
        metavar="DATABASE_URL",
        help="the empty PostgreSQL database, e.g."
        " postgresql://permanence@db.example.net/permanence?sslmode=verify-full",
    )
    move.add_argument(
        "blob_url",
        metavar="BLOB_URL",
        help="the object store's address and bucket, e.g. https://s3.example.net/permanence",
    )
    move.set_defaults(run=lambda args: _migrate_to(settings_of(args), args))


def _migrate_to(settings: Settings, args: argparse.Namespace) -> int:
    # The vault's log lines (an object store's error code) would reach the terminal
    # through logging's last resort beside the refusal's two sentences, which say it.
    logging.getLogger("permanence").addHandler(logging.NullHandler())
    try:
        target = moving.destination(settings, args.database_url, args.blob_url)
        print(
            f"Moving the vault in {settings.layout.root} into PostgreSQL and the bucket"
            f" {target.blob_store.bucket} of {target.blob_store.url}",
            flush=True,
        )
        done = moving.move(settings, target, _progress())
    except moving.MoveRefused as e:
        print(f"permanence: {e}", file=sys.stderr)
        print(f"permanence\u00a0: {e.french}", file=sys.stderr)
        return EXIT_REFUSED
    _report(done)
    _configuration(settings, target, args.database_url)
    return 0


def _progress() -> moving.MoveProgress:
    tty = sys.stdout.isatty()

    back = "\r" if tty else ""  # a terminal's line is rewritten; a log gets the last count

    def files(done: int, total: int, size: int) -> None:
        if tty or done == total:
            end = "\n" if done == total else ""
            print(f"{back}  files: {done:,}/{total:,} ({size / MIB:,.1f} MiB)", end=end, flush=True)

    def table(name: str, done: int, total: int) -> None:
        if tty:
            end = "\n" if done == total else ""
            print(f"\r  table {name}: {done:,}/{total:,} rows", end=end, flush=True)
        elif done == total:
            print(f"  table {name}: {total:,} rows", flush=True)

    def step(text: str) -> None:
        print(f"  {text}…", flush=True)

    return moving.MoveProgress(files=files, table=table, step=step)


def _root(root: bytes) -> str:
    return base64.b64encode(root).decode("ascii")


def _report(done: moving.Moved) -> None:
    print(
        f"Copied {len(done.tables)} tables ({done.rows:,} rows), {done.files:,} file(s)"
        f" ({done.file_bytes / MIB:,.1f} MiB) and {done.uploads} upload(s) in progress."
    )
    print(
        f"Audit log: {done.tree_size:,} entries, tree head {_root(done.tree_root)}"
        " — identical in the copy."
    )
    for sc in done.checkpoints:
        cosigned = sc.cosigned_note.count("\n\u2014 ") - sc.note.count("\n\u2014 ")
        print(
            f"  checkpoint {sc.seq}: {sc.checkpoint.size:,} entries, root"
            f" {_root(sc.checkpoint.root)}, {cosigned} cosignature(s) — identical"
        )
    report = done.verified
    print(
        f"Verified the copied audit log: {report.size:,} entries, {report.checkpoints}"
        f" checkpoint(s) signed, {report.cosignatures} cosignature(s)."
    )


def _configuration(settings: Settings, target: Settings, database_url: str) -> None:
    store = target.blob_store
    print(
        f"\nNow write in the configuration ({settings.layout.config_file}) — or the"
        " PERMANENCE_DATABASE_URL and PERMANENCE_BLOB_STORE_* variables — then start the"
        " server:\n"
        f"  database_url = {_toml(database_url)}  # at the top, before any [table]\n"
        "  [blob_store]\n"
        f"  url = {_toml(store.url)}\n"
        f"  bucket = {_toml(store.bucket)}\n"
        f"  access_key_id = {_toml(store.access_key_id)}\n"
        '  secret_access_key = "…"  # the secret key you gave this command\n'
        f"  region = {_toml(store.region)}\n"
        "The database's password, if it needs one, goes in the server's ~/.pgpass or in"
        " database_url (the configuration file is readable by its owner only).\n"
        f"Keep {settings.layout.keys_dir}: the moved vault still uses its audit signing key"
        f" and server secret. {settings.layout.database.name} and blobs/ are no longer used:"
        " keep them as a backup until the moved vault has served for a while."
    )


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
