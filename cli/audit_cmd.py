"""``permanence audit ...``: checkpoint, verify, export, prove, cosign, witness, keygen, ...

Thin: parsing arguments, reading and writing files, printing. The use cases live in
``vault.auditing.operations`` (entries, checkpoints, snapshots), the logic in ``audit``.

The command line calls ``register(subparsers, open_context)``, where
``open_context(args)`` returns a context manager yielding an ``AuditContext``:
the opened vault's ``Env`` and the log's ``CheckpointIssuer`` (built by
``vault.auditing.checkpoints.checkpoint_issuer``, exactly as the server builds it).
Offline commands (``verify --bundle``, ``verify --proof``, ``pin-key``,
``keygen``, ``cosign-note``) never call it; they live in ``cli/audit_offline.py``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from audit.entry import Action
from audit.errors import AuditError
from audit.issuer import CheckpointIssuer
from audit.keys import parse_signer
from audit.retention import EntryPruned
from cli import audit_offline as offline
from cli.operator import command_line
from vault.auditing import operations, retention
from vault.env import Env, RequestInfo

EXIT_FAILED = 1


class AuditContext(Protocol):
    """What ``open_context`` gives the audit commands."""

    @property
    def env(self) -> Env: ...
    @property
    def issuer(self) -> CheckpointIssuer: ...


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
    _verify_options(
        add(
            "verify",
            "verify the log, or offline an exported bundle or a proof file",
            lambda a: _verify(a, open_context),
        )
    )
    export = add(
        "export",
        "sign a checkpoint and export the log up to it, for offline verification",
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
        offline.cosign_note,
    )
    cosign_note.add_argument("--key", type=Path, required=True, help="your own signer key file")
    cosign_note.add_argument(
        "--note", type=Path, required=True, help="the checkpoint note, from the console"
    )
    prune = add(
        "prune",
        "remove the content of entries older than the retention period (hashes stay)",
        lambda a: _prune(a, open_context),
    )
    prune.add_argument(
        "--dry-run", action="store_true", help="only say what would be pruned; change nothing"
    )
    keygen = add("keygen", "create a signer key file for an auditor or witness", offline.keygen)
    keygen.add_argument("--name", required=True, help="key name, e.g. auditor.example.com")
    keygen.add_argument("--out", type=Path, required=True, help="key file to create (mode 0600)")
    add(
        "witness",
        "submit the latest checkpoint to the policy's witnesses; say whether it is published",
        lambda a: _witness(a, open_context),
    )
    add(
        "public-key",
        "print the log's public verifier key, to pin",
        lambda a: _public_key(a, open_context),
    )
    pin = add(
        "pin-key",
        f"offline: pin the log's public key for verify (saved in {offline.pinned_key_file()})",
        offline.pin_key,
    )
    pin.add_argument(
        "key", metavar="KEY_OR_FILE", help="the key from 'permanence audit public-key'"
    )
    pin.add_argument("--replace", action="store_true", help="replace a different pinned key")


def _verify_options(verify: argparse.ArgumentParser) -> None:
    what = verify.add_mutually_exclusive_group()
    what.add_argument("--bundle", type=Path, help="verify this exported bundle, offline")
    what.add_argument(
        "--proof", type=Path, metavar="FILE", help="verify this tlog-proof file, offline"
    )
    verify.add_argument(
        "--since-checkpoint",
        type=Path,
        metavar="FILE",
        help="a checkpoint note or an earlier bundle you kept: prove the log only grew since",
    )
    verify.add_argument(
        "--verifier-key",
        metavar="KEY_OR_FILE",
        help="the log's public key you pinned (default: the key saved by 'audit pin-key')",
    )
    verify.add_argument(
        "--require-cosigner",
        action="append",
        metavar="KEY_OR_FILE",
        help="a cosigner's public key that must have signed a checkpoint (repeatable)",
    )
    verify.add_argument(
        "--insecure-trust-bundle-key",
        action="store_true",
        help="DANGEROUS: verify a bundle with the key it carries; a forged bundle then passes",
    )


def _guarded(fn: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return fn(args)
    except EntryPruned as e:
        print(f"permanence: {e}", file=sys.stderr)
        print(f"permanence : {pruned_in_french(e)}", file=sys.stderr)
        return EXIT_FAILED
    except AuditError as e:
        print(f"permanence: {e}", file=sys.stderr)
        return EXIT_FAILED


def pruned_in_french(e: EntryPruned) -> str:
    return (
        f"l'entrée {e.index} est plus ancienne que la durée de conservation du journal"
        " d'audit\u00a0: son contenu a été supprimé et seule son empreinte est"
        " conservée\u00a0;"
        f" les entrées sont lisibles à partir de l'index {e.minimum}."
    )


# -- commands ------------------------------------------------------------------


def _request(args: argparse.Namespace) -> RequestInfo:
    """The request of ``permanence audit <command>``: its entries name the command-line actor."""
    return command_line(f"audit {args.audit_command}")


def _checkpoint(args: argparse.Namespace, open_context: OpenContext) -> int:
    with open_context(args) as ctx:
        sc = operations.sign_checkpoint(
            ctx.env, _request(args), ctx.issuer, Action.AUDIT_CHECKPOINT
        )
    cp = sc.checkpoint
    print(f"Signed checkpoint {sc.seq}: {cp.size} entries, root {offline.root_text(cp)}")
    return 0


def _verify(args: argparse.Namespace, open_context: OpenContext) -> int:
    if args.bundle is not None or args.proof is not None:
        return offline.verify_offline(args)
    if args.insecure_trust_bundle_key:
        raise offline.NoPinnedKey("--insecure-trust-bundle-key applies to --bundle only")
    required = [offline.read_cosigner(k) for k in args.require_cosigner or ()]
    pinned = offline.read_verifier(args.verifier_key) if args.verifier_key else None
    with open_context(args) as ctx:
        verifier = pinned or ctx.issuer.signer.verifier
        since, hashes = offline.since_checkpoint(args.since_checkpoint, verifier)
        report = operations.verify_log(
            ctx.env,
            verifier,
            since=since,
            since_leaf_hashes=hashes,
            required_cosigners=required,
            progress=offline.progress("verifying"),
        )
    offline.print_report(report, since)
    return 0


def _export(args: argparse.Namespace, open_context: OpenContext) -> int:
    with open_context(args) as ctx:
        issuer = ctx.issuer
        sc = operations.sign_checkpoint(ctx.env, _request(args), issuer, Action.AUDIT_EXPORTED)
        with offline.private_file(args.out) as out:
            size = operations.write_export(
                ctx.env, out, issuer, sc, progress=offline.progress("exporting")
            )
    print(f"Exported {size} entries up to signed checkpoint {sc.seq} to {args.out}")
    return 0


def _prove(args: argparse.Namespace, open_context: OpenContext) -> int:
    with open_context(args) as ctx:
        proof = operations.prove(ctx.env, ctx.issuer, args.index)
        with offline.private_file(args.out) as out:
            out.write(proof.text)
    sc = proof.checkpoint
    print(
        f"Wrote the proof of entry {args.index} in checkpoint {sc.seq}"
        f" ({sc.checkpoint.size} entries) to {args.out}"
    )
    return 0


def _cosign(args: argparse.Namespace, open_context: OpenContext) -> int:
    cosigner = parse_signer(offline.read(args.key))
    with open_context(args) as ctx:
        done = operations.cosign(
            ctx.env, _request(args), ctx.issuer, cosigner, progress=offline.progress("verifying")
        )
    sc = done.checkpoint
    print(
        f"Verified {done.report.size} entries and cosigned checkpoint {sc.seq}"
        f" ({sc.checkpoint.size} entries) as {cosigner.name}"
    )
    return 0


def _witness(args: argparse.Namespace, open_context: OpenContext) -> int:
    from vault.auditing.witnessing import load_policy, publish_latest

    with open_context(args) as ctx:
        policy = load_policy(ctx.env.settings)
        if policy is None:
            print("permanence: no witness policy: set witness_policy first", file=sys.stderr)
            return EXIT_FAILED
        done = publish_latest(ctx.env, ctx.issuer.signer.verifier, policy)
    if done is None:
        print("permanence: the log has no checkpoint yet", file=sys.stderr)
        return EXIT_FAILED
    for o in done.outcomes:
        print(f"{o.witness}: {o.state}" + (f" ({o.detail})" if o.detail else ""))
    state = "published" if done.published else "NOT published"
    print(f"Checkpoint {done.seq} ({done.size} entries): {state} (quorum: {policy.needed()})")
    return 0 if done.published else EXIT_FAILED


def _public_key(args: argparse.Namespace, open_context: OpenContext) -> int:
    with open_context(args) as ctx:
        print(ctx.issuer.signer.verifier)
    return 0


def _prune(args: argparse.Namespace, open_context: OpenContext) -> int:
    with open_context(args) as ctx:
        if args.dry_run:
            plan = retention.preview(ctx.env)
        else:
            plan = retention.prune(ctx.env, _request(args)).plan
    print(describe_plan(plan, dry_run=args.dry_run))
    return 0


def describe_plan(plan: retention.PrunePlan, *, dry_run: bool) -> str:
    """What ``permanence audit prune`` says: how many entries, up to which index, and why not
    more."""
    lines = [
        f"Retention: {plan.months} months; entries older than {plan.cutoff} are past it.",
    ]
    if plan.count:
        verb = "Would prune" if dry_run else "Pruned"
        lines.append(
            f"{verb} the content of {plan.count} entries ({plan.minimum}..{plan.upto - 1});"
            f" entries are readable from index {plan.upto}; their hashes stay."
        )
    else:
        lines.append(
            f"Nothing to prune: entries are readable from index {plan.minimum}"
            f" (the log holds {plan.size})."
        )
    if plan.held_by == retention.HELD_BY_COSIGNING:
        lines.append(
            f"Entries {plan.upto}..{plan.due - 1} are past the period but kept: the vault"
            " requires cosigning and no auditor has cosigned a checkpoint covering them yet."
        )
    elif plan.held_by == retention.HELD_BY_CHECKPOINT:
        lines.append(
            f"Entries {plan.upto}..{plan.due - 1} are past the period but kept until a signed"
            " checkpoint covers them."
        )
    if dry_run:
        lines.append("Dry run: nothing was changed.")
    return "\n".join(lines)
