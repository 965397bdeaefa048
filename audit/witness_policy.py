"""Which witnesses the log asks, and how many must cosign: a C2SP ``tlog-policy`` file.

One declaration a line, items separated by spaces or tabs; blank lines and
lines starting with ``#`` are ignored::

    # the log itself (optional; when present it must be the log's own key)
    log permanence.example.com/audit+1a2b3c4d+AQ...
    witness alice  witness.alice.example+0f1e2d3c+BA... https://witness.alice.example
    witness bob    witness.bob.example+4b5a6978+BA...   http://127.0.0.1:8090/w
    witness carol  witness.carol.example+8c9dab0e+BA... https://carol.example/witness
    group auditors 2 alice bob carol
    quorum auditors

``witness <name> <key> <url>``: a name used in this file only, the witness's
``cosignature/v1`` verifier key (type 0x04, ``permanence witness public-key``)
and its submission prefix (``<url>/add-checkpoint`` is what the log posts to).
``group <name> <k|any|all> <member>...``: satisfied when k of its members are
(members are witnesses or groups declared on earlier lines, each listed once).
``quorum <name|none>``: exactly one, naming the witness or group whose
cosignatures make a checkpoint *published*.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from audit.cosignature import CosignatureVerifier, parse_cosignature_verifier
from audit.errors import AuditError, BadKey
from audit.keys import NoteVerifier, parse_verifier

NONE = "none"


class BadPolicy(AuditError):
    """A witness policy file is malformed; the message names the line."""


@dataclass(frozen=True, slots=True)
class PolicyWitness:
    name: str
    key: CosignatureVerifier
    url: str


@dataclass(frozen=True, slots=True)
class PolicyGroup:
    name: str
    threshold: int
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WitnessPolicy:
    """The witnesses to ask and the quorum that makes a checkpoint published."""

    witnesses: tuple[PolicyWitness, ...]
    groups: tuple[PolicyGroup, ...]
    quorum: str
    log: NoteVerifier | None = None

    def satisfied(self, cosigned_by: Iterable[str]) -> bool:
        """Whether witnesses named ``cosigned_by`` (policy names) meet the quorum."""
        if self.quorum == NONE:
            return True
        done = set(cosigned_by)
        groups = {g.name: g for g in self.groups}

        def met(name: str) -> bool:
            group = groups.get(name)
            if group is None:
                return name in done
            return sum(1 for m in group.members if met(m)) >= group.threshold

        return met(self.quorum)

    def needed(self) -> str:
        """The quorum in words, for pages and messages (e.g. ``2 of alice, bob, carol``)."""
        groups = {g.name: g for g in self.groups}

        def words(name: str) -> str:
            group = groups.get(name)
            if group is None:
                return name
            return f"{group.threshold} of {', '.join(words(m) for m in group.members)}"

        return "none" if self.quorum == NONE else words(self.quorum)


def parse_policy(text: str) -> WitnessPolicy:
    """Parse a policy file's text; ``BadPolicy`` names the first wrong line."""
    parser = _Parser()
    for number, raw in enumerate(text.splitlines(), start=1):
        if any(ord(c) < 0x20 and c != "\t" for c in raw) or "\x7f" in raw:
            raise BadPolicy(f"policy line {number}: control characters are not allowed")
        fields = raw.replace("\t", " ").split()
        if not fields or fields[0].startswith("#"):
            continue
        handler = {
            "log": parser.log,
            "witness": parser.witness,
            "group": parser.group,
            "quorum": parser.quorum_line,
        }.get(fields[0])
        if handler is None:
            raise BadPolicy(f"policy line {number}: unknown keyword {fields[0]!r}")
        handler(fields[1:], f"policy line {number}")
    if parser.quorum is None:
        raise BadPolicy("the policy has no quorum line")
    return WitnessPolicy(
        tuple(parser.witnesses), tuple(parser.groups), parser.quorum, parser.log_key
    )


class _Parser:
    def __init__(self) -> None:
        self.witnesses: list[PolicyWitness] = []
        self.groups: list[PolicyGroup] = []
        self.defined: set[str] = set()
        self.members_used: set[str] = set()
        self.keys: set[bytes] = set()
        self.quorum: str | None = None
        self.log_key: NoteVerifier | None = None

    def log(self, args: list[str], where: str) -> None:
        if len(args) not in (1, 2):
            raise BadPolicy(f"{where}: expected 'log <key> [<url>]'")
        self.log_key = _log_key(args[0], where)

    def witness(self, args: list[str], where: str) -> None:
        if len(args) != 3:
            raise BadPolicy(f"{where}: expected 'witness <name> <key> <url>'")
        name, key_text, url = args
        self._new_name(name, where)
        key = _witness_key(key_text, where)
        if key.key.key in self.keys:
            raise BadPolicy(f"{where}: two witnesses share a public key")
        self.keys.add(key.key.key)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise BadPolicy(f"{where}: the witness URL must be http:// or https://")
        self.witnesses.append(PolicyWitness(name, key, url.rstrip("/")))
        self.defined.add(name)

    def group(self, args: list[str], where: str) -> None:
        if len(args) < 3:
            raise BadPolicy(f"{where}: expected 'group <name> <k|any|all> <member>...'")
        name, threshold_text, members = args[0], args[1], tuple(args[2:])
        self._new_name(name, where)
        for m in members:
            if m not in self.defined:
                raise BadPolicy(f"{where}: {m!r} is not declared on an earlier line")
            if m in self.members_used:
                raise BadPolicy(f"{where}: {m!r} is listed as a member twice")
            self.members_used.add(m)
        threshold = _threshold(threshold_text, len(members), where)
        self.groups.append(PolicyGroup(name, threshold, members))
        self.defined.add(name)

    def quorum_line(self, args: list[str], where: str) -> None:
        if len(args) != 1:
            raise BadPolicy(f"{where}: expected 'quorum <name>'")
        if self.quorum is not None:
            raise BadPolicy(f"{where}: a policy has exactly one quorum line")
        if args[0] != NONE and args[0] not in self.defined:
            raise BadPolicy(f"{where}: the quorum {args[0]!r} is not declared above")
        self.quorum = args[0]

    def _new_name(self, name: str, where: str) -> None:
        if name == NONE or name in self.defined:
            raise BadPolicy(f"{where}: the name {name!r} is reserved or already declared")


def _log_key(text: str, where: str) -> NoteVerifier:
    try:
        return parse_verifier(text)
    except BadKey as e:
        raise BadPolicy(f"{where}: {e}") from None


def _witness_key(text: str, where: str) -> CosignatureVerifier:
    try:
        return parse_cosignature_verifier(text)
    except BadKey as e:
        raise BadPolicy(f"{where}: {e}") from None


def _threshold(text: str, count: int, where: str) -> int:
    if text == "any":
        return 1
    if text == "all":
        return count
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= count:
        raise BadPolicy(f"{where}: the threshold must be any, all or 1 to {count}")
    return int(text)
