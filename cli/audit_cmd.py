"""``permanence audit ...``: checkpoint, verify, export, prove, cosign, cosign-note, keygen, ...

Thin: parsing arguments, reading and writing files, printing. The logic lives in ``audit``.

The lead's command line calls ``register(subparsers, open_context)``, where
``open_context(args)`` returns a context manager yielding an ``AuditContext``:
an open database connection for reads (not used by anyone else meanwhile),
the ``Writer`` of that database, and the data directory's ``layout`` (whose
``audit_key_file`` holds the log's signer key). Offline commands
(``verify --bundle``, ``keygen``) never call it.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from audit import note as notes
from audit.bundle import Bundle, leaf_hashes, verify_bundle, write_bundle
from audit.checkpoint import Checkpoint, StoredCheckpoint
from audit.connection import Connection
from audit.entry import Action, Actor, AuditEntry
from audit.errors import AuditError, BadCheckpoint, BadNote
from audit.issuer import CheckpointIssuer, add_cosignature, latest_checkpoint
from audit.keys import NoteSigner, NoteVerifier, generate_signer_key, parse_signer, parse_verifier
from audit.log import AuditLog
from audit.proof import ProofFile
from audit.verify import VerifyReport, verify_database

T = TypeVar("T")
EXIT_FAILED = 1
CLI_ACTOR = Actor(account=None, name="command-line", role="operator")


class Layout(Protocol):
    @property
    def audit_key_file(self) -> Path: ...


class WriterLike(Protocol):
    def run(self, fn: Callable[[Any], T]) -> T: ...


class AuditContext(Protocol):
    """What ``open_context`` gives the audit commands."""

    @property
    def conn(self) -> Connection: ...
    @property
    def writer(self) -> WriterLike: ...
    @property
    def layout(self) -> Layout: ...


OpenContext = Callable[[argparse.Namespace], AbstractContextManager[AuditContext]]


def register(subparsers: argparse._SubParsersAction[Any], open_context: OpenContext) -> None:
    """Add ``permanence audit`` and its subcommands to ``subparsers``."""
    audit = subparsers.add_parser("audit", help="sign, verify, export and prove the audit log")
    sub = audit.add_subparsers(dest="audit_command", metavar="AUDIT_COMMAND")
    sub.required = True

    def add(
        name: str, help_: str, fn: Callable[[argparse.Namespace], int]
    ) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, help=help_)
        p.set_defaults(run=lambda args: _guarded(fn, args))
        return p

    add("checkpoint", "sign a checkpoint of the log now", lambda a: _checkpoint(a, open_context))
    verify = add(
        "verify",
        "verify the log (or an exported bundle, offline)",
        lambda a: _verify(a, open_context),
    )
    verify.add_argument("--bundle", type=Path, help="verify this exported bundle, offline")
    verify.add_argument(
        "--since-checkpoint",
        type=Path,
        metavar="FILE",
        help="a checkpoint note or an earlier bundle you kept: prove the log only grew since",
    )
    verify.add_argument(
        "--verifier-key", metavar="KEY_OR_FILE", help="the log's public key you pinned"
    )
    export = add(
        "export",
        "export the log as a bundle for offline verification",
        lambda a: _export(a, open_context),
    )
    export.add_argument("--out", type=Path, required=True, help="bundle file to write")
    prove = add("prove", "write a tlog-proof file for one entry", lambda a: _prove(a, open_context))
    prove.add_argument("--index", type=int, required=True, help="index of the entry")
    prove.add_argument("--out", type=Path, required=True, help="proof file to write")
    cosign = add(
        "cosign",
        "verify the log, then cosign its latest checkpoint",
        lambda a: _cosign(a, open_context),
    )
    cosign.add_argument("--key", type=Path, required=True, help="your own signer key file")
    cosign_note = add(
        "cosign-note",
        "offline: add your signature to a checkpoint note (to paste into the console)",
        _cosign_note,
    )
    cosign_note.add_argument("--key", type=Path, required=True, help="your own signer key file")
    cosign_note.add_argument(
        "--note", type=Path, required=True, help="the checkpoint note, from the console"
    )
    keygen = add("keygen", "create a signer key file for an auditor or witness", _keygen)
    keygen.add_argument("--name", required=True, help="key name, e.g. auditor.example.com")
    keygen.add_argument("--out", type=Path, required=True, help="key file to create (mode 0600)")
    add(
        "public-key",
        "print the log's public verifier key, to pin",
        lambda a: _public_key(a, open_context),
    )


def _guarded(fn: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return fn(args)
    except AuditError as e:
        print(f"permanence: {e}", file=sys.stderr)
        return EXIT_FAILED


# -- commands ------------------------------------------------------------------


def _checkpoint(args: argparse.Namespace, open_context: OpenContext) -> int:
    with open_context(args) as ctx:
        signer = _server_signer(ctx)
        sc = ctx.writer.run(lambda c: _record_and_sign(c, signer, Action.AUDIT_CHECKPOINT))
    print(f"Signed checkpoint {sc.seq}: {sc.checkpoint.size} entries, root {_root(sc.checkpoint)}")
    return 0


def _verify(args: argparse.Namespace, open_context: OpenContext) -> int:
    pinned = _read_verifier(args.verifier_key) if args.verifier_key else None
    if args.bundle is not None:
        bundle = Bundle.parse(_read(args.bundle))
        if pinned is None:
            pinned = parse_verifier(bundle.verifier_key)
            _say("warning: no --verifier-key given; trusting the key inside the bundle")
        since, hashes = _since(args.since_checkpoint, pinned)
        report = verify_bundle(
            bundle, pinned, since=since, since_leaf_hashes=hashes, progress=_progress("verifying")
        )
    else:
        with open_context(args) as ctx:
            verifier = pinned or _server_signer(ctx).verifier
            since, hashes = _since(args.since_checkpoint, verifier)
            with _snapshot(ctx.conn):
                report = verify_database(
                    ctx.conn,
                    verifier,
                    since=since,
                    since_leaf_hashes=hashes,
                    progress=_progress("verifying"),
                )
    _print_report(report, since)
    return 0


def _export(args: argparse.Namespace, open_context: OpenContext) -> int:
    with open_context(args) as ctx:
        signer = _server_signer(ctx)
        ctx.writer.run(lambda c: _record_and_sign(c, signer, Action.AUDIT_EXPORTED))
        with _private_file(args.out) as out, _snapshot(ctx.conn):
            size = write_bundle(
                ctx.conn, out, signer.verifier, origin=signer.name, progress=_progress("exporting")
            )
    print(f"Exported {size} entries and their signed checkpoints to {args.out}")
    return 0


def _prove(args: argparse.Namespace, open_context: OpenContext) -> int:
    with open_context(args) as ctx:
        signer = _server_signer(ctx)
        log = AuditLog()
        with _snapshot(ctx.conn):
            sc = latest_checkpoint(ctx.conn, signer.verifier)
        if sc is None or sc.checkpoint.size <= args.index:
            sc = ctx.writer.run(lambda c: CheckpointIssuer(signer, signer.name).issue(c))
        with _snapshot(ctx.conn):
            proof = log.inclusion_proof(ctx.conn, args.index, sc.checkpoint.size)
            leaf = log.leaf(ctx.conn, args.index)
        text = ProofFile(args.index, proof.hashes, sc.cosigned_note, leaf).text()
        with _private_file(args.out) as out:
            out.write(text)
    print(
        f"Wrote the proof of entry {args.index} in checkpoint {sc.seq}"
        f" ({sc.checkpoint.size} entries) to {args.out}"
    )
    return 0


def _cosign(args: argparse.Namespace, open_context: OpenContext) -> int:
    cosigner = parse_signer(_read(args.key))
    with open_context(args) as ctx:
        server = _server_signer(ctx).verifier
        with _snapshot(ctx.conn):
            report = verify_database(ctx.conn, server, progress=_progress("verifying"))
            sc = latest_checkpoint(ctx.conn, server)
        if sc is None:
            raise BadCheckpoint(
                "there is no checkpoint to cosign yet; run 'permanence audit checkpoint'"
            )
        cosigned = notes.add_signatures(sc.note, [notes.signature(sc.checkpoint.body(), cosigner)])
        ctx.writer.run(lambda c: _store_cosignature(c, sc.seq, cosigned, cosigner.verifier, server))
    print(
        f"Verified {report.size} entries and cosigned checkpoint {sc.seq}"
        f" ({sc.checkpoint.size} entries) as {cosigner.name}"
    )
    return 0


def _cosign_note(args: argparse.Namespace) -> int:
    """Print the note with your signature added; the console checks it before storing it."""
    cosigner = parse_signer(_read(args.key))
    note = _read(args.note).replace("\r\n", "\n")
    text, _ = notes.split(note)
    Checkpoint.parse(text)  # refuse to sign anything but a checkpoint
    print(notes.add_signatures(note, [notes.signature(text, cosigner)]), end="")
    _say(f"Cosigned as {cosigner.name}; your public key: {cosigner.verifier}")
    return 0


def _keygen(args: argparse.Namespace) -> int:
    text = generate_signer_key(args.name)
    with _private_file(args.out, exclusive=True) as out:
        out.write(text + "\n")
    print(f"Created {args.out}. Your public key, to give the vault operator and other auditors:")
    print(parse_signer(text).verifier)
    return 0


def _public_key(args: argparse.Namespace, open_context: OpenContext) -> int:
    with open_context(args) as ctx:
        print(_server_signer(ctx).verifier)
    return 0


# -- helpers -------------------------------------------------------------------


def _record_and_sign(conn: Connection, signer: NoteSigner, action: Action) -> StoredCheckpoint:
    AuditLog().append(conn, AuditEntry.new(action, actor=CLI_ACTOR))
    return CheckpointIssuer(signer, signer.name).issue(conn)


def _store_cosignature(
    conn: Connection, seq: int, cosigned: str, cosigner: NoteVerifier, server: NoteVerifier
) -> StoredCheckpoint:
    stored = add_cosignature(conn, seq, cosigned, cosigner, server)
    AuditLog().append(
        conn,
        AuditEntry.new(
            Action.AUDIT_COSIGNED,
            actor=CLI_ACTOR,
            targets={"checkpoint": str(seq)},
            detail={"cosigner": cosigner.name},
        ),
    )
    return stored


def _server_signer(ctx: AuditContext) -> NoteSigner:
    path = ctx.layout.audit_key_file
    try:
        mode = path.stat().st_mode
    except OSError:
        raise _FileProblem(f"the audit signing key {path} is missing") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise _FileProblem(f"the audit signing key {path} is readable by others; chmod 600 it")
    return parse_signer(_read(path))


def _read_verifier(value: str) -> NoteVerifier:
    path = Path(value)
    return parse_verifier(_read(path) if "+" not in value and path.exists() else value)


def _since(
    path: Path | None, verifier: NoteVerifier
) -> tuple[Checkpoint | None, list[bytes] | None]:
    """A saved checkpoint note, or an earlier bundle (its latest checkpoint and leaf hashes)."""
    if path is None:
        return None, None
    text = _read(path)
    if text.lstrip().startswith("{"):
        earlier = Bundle.parse(text)
        if not earlier.checkpoints:
            raise BadCheckpoint(f"{path} holds no checkpoint")
        text = earlier.checkpoints[-1].note
        hashes: list[bytes] | None = leaf_hashes(earlier)
    else:
        hashes = None
    try:
        opened = notes.open_note(text, [verifier])
    except BadNote as e:
        raise BadCheckpoint(f"the saved checkpoint {path} does not verify: {e}") from None
    since = Checkpoint.parse(opened.text)
    return since, hashes[: since.size] if hashes is not None else None


def _print_report(report: VerifyReport, since: Checkpoint | None) -> None:
    latest = report.latest
    print(
        f"The audit log verifies: {report.size} entries, {report.checkpoints} signed checkpoints,"
        f" {report.cosignatures} cosignatures."
    )
    if latest is not None:
        print(f"Latest checkpoint: {latest.size} entries, root {_root(latest)}")
    if since is not None:
        print(f"It extends the checkpoint you saved ({since.size} entries): nothing was rewritten.")
    if report.uncovered:
        print(
            f"Note: the last {report.uncovered} entries are not yet covered by a signed checkpoint."
        )


def _root(cp: Checkpoint) -> str:
    return cp.body().split("\n")[2]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise _FileProblem(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None


class _FileProblem(AuditError):
    """A file the command needs cannot be read or written."""


@contextmanager
def _private_file(path: Path, *, exclusive: bool = False) -> Iterator[Any]:
    """Write ``path`` readable by its owner only, atomically (temporary file, then rename)."""
    tmp = path.with_name(path.name + ".tmp")
    if exclusive and path.exists():
        raise _FileProblem(f"{path} already exists; not overwriting it")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as e:
        raise _FileProblem(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        if tmp.exists():
            tmp.unlink()


@contextmanager
def _snapshot(conn: Connection) -> Iterator[None]:
    """A read transaction: one consistent view of the log for the whole command."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")


def _progress(what: str) -> Callable[[int, int], None]:
    tty = sys.stderr.isatty()
    last = [-1]

    def report(done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if tty:
            print(f"\r{what}: {done:,}/{total:,} entries ({percent}%)", end="", file=sys.stderr)
            if done >= total:
                print(file=sys.stderr)
        elif percent // 10 != last[0]:
            last[0] = percent // 10
            print(f"{what}: {done:,}/{total:,} entries ({percent}%)", file=sys.stderr)

    return report


def _say(message: str) -> None:
    print(f"permanence: {message}", file=sys.stderr)
