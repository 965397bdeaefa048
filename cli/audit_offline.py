"""What an auditor runs away from the server: verify a bundle or a proof file, pin the key.

Only the command, the pinned key and the files are needed: no data directory,
no database key, no network. The log's public key is pinned once
(``permanence audit pin-key``, saved in ``pinned_key_file()``) or given each
time (``--verifier-key``); without either, verification refuses. Trusting the
key inside a bundle takes ``--insecure-trust-bundle-key``, which says loudly
that a forger's bundle would then verify.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from audit import note as notes
from audit.bundle import Bundle, leaf_hashes, verify_bundle
from audit.checkpoint import Checkpoint
from audit.cosignature import parse_cosigner
from audit.errors import AuditError, BadCheckpoint, BadKey, BadNote
from audit.keys import NoteVerifier, Verifier, generate_signer_key, parse_signer, parse_verifier
from audit.proof import ProofFile, verify_proof_file
from audit.verify import VerifyReport
from vault.files import replace_private

PINNED_NAME = "audit-verifier.pub"


class FileProblem(AuditError):
    """A file the command needs cannot be read or written."""


class NoPinnedKey(AuditError):
    """Offline verification without a key the auditor chose."""


def pinned_key_file(environ: Mapping[str, str] | None = None) -> Path:
    """Where ``pin-key`` saves the log's key: ``$XDG_CONFIG_HOME/permanence`` or ``~/.config``."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "permanence" / PINNED_NAME


def read_verifier(value: str) -> NoteVerifier:
    """A verifier key given as text (it holds a '+'), or the name of a file holding one."""
    return parse_verifier(value if "+" in value else read(Path(value)))


def read_cosigner(value: str) -> Verifier:
    """A cosigner's key (a note key or a cosignature/v1 key), as text or in a file."""
    return parse_cosigner(value if "+" in value else read(Path(value)))


def verify_offline(args: argparse.Namespace) -> int:
    """``verify --bundle`` or ``verify --proof``: with the pinned key only."""
    required = [read_cosigner(k) for k in args.require_cosigner or ()]
    if args.proof is not None:
        if args.insecure_trust_bundle_key or args.since_checkpoint is not None:
            raise NoPinnedKey(
                "--insecure-trust-bundle-key and --since-checkpoint apply to a bundle,"
                " not to a proof file"
            )
        return _verify_proof(args.proof, _pinned(args.verifier_key), required)
    bundle = Bundle.parse(read(args.bundle))
    pinned = _pinned(args.verifier_key, bundle if args.insecure_trust_bundle_key else None)
    since, hashes = since_checkpoint(args.since_checkpoint, pinned)
    report = verify_bundle(
        bundle,
        pinned,
        since=since,
        since_leaf_hashes=hashes,
        required_cosigners=required,
        progress=progress("verifying"),
    )
    print_report(report, since)
    return 0


def _pinned(given: str | None, bundle: Bundle | None = None) -> NoteVerifier:
    path = pinned_key_file()
    if given:
        key = read_verifier(given)
        if path.exists() and read(path).strip() != str(key):
            say(f"warning: --verifier-key is not the key pinned in {path}; using --verifier-key")
        return key
    if path.exists():
        return read_verifier(str(path))
    if bundle is not None:
        say(
            "WARNING: --insecure-trust-bundle-key: verifying with the key inside the bundle;"
            " a bundle re-signed by a forger passes this check"
        )
        return parse_verifier(bundle.verifier_key)
    raise NoPinnedKey(
        "no verifier key is pinned: pass --verifier-key with the log's public key obtained"
        f" from the operator out of band, or pin it once with 'permanence audit pin-key' (saved"
        f" in {path})"
    )


def _verify_proof(path: Path, pinned: NoteVerifier, required: Sequence[Verifier]) -> int:
    text = read(path)
    checkpoint, leaf = verify_proof_file(text, pinned, cosigners=required, origin=pinned.name)
    index = ProofFile.parse(text).index
    print(
        f"The proof verifies: entry {index} is in the log {checkpoint.origin!r} as of its"
        f" checkpoint of {checkpoint.size} entries, root {root_text(checkpoint)},"
        f" signed by {pinned.name}" + "".join(f" and {k.name}" for k in required) + "."
    )
    print(f"Entry: {leaf.decode('utf-8', errors='replace')}")
    return 0


def pin_key(args: argparse.Namespace) -> int:
    key = read_verifier(args.key)
    path = pinned_key_file()
    if path.exists():
        try:
            old: NoteVerifier | None = read_verifier(str(path))
        except BadKey:
            old = None
        if old is not None and str(old) == str(key):
            print(f"This key is already pinned in {path}.")
            return 0
        if not args.replace:
            raise FileProblem(
                f"another key is pinned in {path}; pass --replace only if the operator told"
                " you, out of band, that the log's key changed"
            )
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with private_file(path) as out:
        out.write(str(key) + "\n")
    print(f"Pinned the key of log {key.name!r} in {path}:\n  {key}")
    return 0


def cosign_note(args: argparse.Namespace) -> int:
    """Print the note with your signature added; the console checks it before storing it."""
    cosigner = parse_signer(read(args.key))
    note = read(args.note).replace("\r\n", "\n")
    text, _ = notes.split(note)
    Checkpoint.parse(text)  # refuse to sign anything but a checkpoint
    print(notes.add_signatures(note, [notes.signature(text, cosigner)]), end="")
    say(f"Cosigned as {cosigner.name}; your public key: {cosigner.verifier}")
    return 0


def keygen(args: argparse.Namespace) -> int:
    text = generate_signer_key(args.name)
    with private_file(args.out, exclusive=True) as out:
        out.write(text + "\n")
    print(f"Created {args.out}. Your public key, to give the vault operator and other auditors:")
    print(parse_signer(text).verifier)
    return 0


# -- shared with cli/audit_cmd.py ---------------------------------------------


def since_checkpoint(
    path: Path | None, verifier: NoteVerifier
) -> tuple[Checkpoint | None, list[bytes] | None]:
    """A saved checkpoint note, or an earlier bundle (its latest checkpoint and leaf hashes)."""
    if path is None:
        return None, None
    text = read(path)
    if text.lstrip().startswith("{"):
        earlier = Bundle.parse(text)
        if not earlier.checkpoints:
            raise BadCheckpoint(f"{path} holds no checkpoint")
        text = max(earlier.checkpoints, key=lambda c: c.seq).note
        hashes: list[bytes] | None = leaf_hashes(earlier)
    else:
        hashes = None
    try:
        opened = notes.open_note(text, [verifier])
    except BadNote as e:
        raise BadCheckpoint(f"the saved checkpoint {path} does not verify: {e}") from None
    since = Checkpoint.parse(opened.text)
    return since, hashes[: since.size] if hashes is not None else None


def print_report(report: VerifyReport, since: Checkpoint | None) -> None:
    latest = report.latest
    sizes = "tree size" if report.checkpoints == 1 else "tree sizes"
    covered = report.size - report.uncovered
    print(
        f"The audit log verifies: {report.size} entries; the log's key signed"
        f" {report.checkpoints} distinct {sizes}, covering the first {covered} entries;"
        f" {report.cosignatures} cosignatures."
    )
    if latest is not None:
        print(f"Latest checkpoint: {latest.size} entries, root {root_text(latest)}")
    if report.pruned:
        print(
            f"Contents checked from entry {report.pruned}: entries 0..{report.pruned - 1} were"
            " pruned (retention) and only their hashes, checked through the tree and every"
            " signed root, are kept."
        )
    for name, size in report.cosigned:
        print(f"Cosigned by {name}: the first {size} entries (its latest cosigned checkpoint).")
    if since is not None:
        print(f"It extends the checkpoint you saved ({since.size} entries): nothing was rewritten.")
    if report.uncovered:
        print(
            f"Note: the last {report.uncovered} entries are not yet covered by a signed checkpoint."
        )


def root_text(cp: Checkpoint) -> str:
    return cp.body().split("\n")[2]


def read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise FileProblem(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None


@contextmanager
def private_file(path: Path, *, exclusive: bool = False) -> Iterator[Any]:
    """Write ``path`` readable by its owner only, atomically (temporary file, then rename)."""
    if exclusive and path.exists():
        raise FileProblem(f"{path} already exists; not overwriting it")
    try:
        with replace_private(path) as out:
            yield out
    except OSError as e:
        raise FileProblem(f"cannot write {path}: {e.strerror or e}") from None


def progress(what: str) -> Callable[[int, int], None]:
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


def say(message: str) -> None:
    print(f"permanence: {message}", file=sys.stderr)
