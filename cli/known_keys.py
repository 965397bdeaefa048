"""Keys the command line has seen, pinned trust-on-first-use (like SSH's ``known_hosts``).

``permanence deposit`` seals to a practice's public key and ``permanence fetch``
verifies with an author's keys; both come from the server. The first time a
key is used for an account of a vault, its fingerprint (docs/format.md §3) is
printed and written to ``known_keys`` in the user's configuration directory;
afterwards a different key is refused until the user names its fingerprint
with ``--accept-key``. One line per key, fields separated by one space::

    https://vault.example practice 0b6c…-uuid 7KQ2 M9XD 0TRE 4BWA

(origin, ``practice`` or ``author``, account id, fingerprint; for an author, a tab
and the display name the server gave, to notice a look-alike). The file is only
appended to; the last line for an origin, kind and id wins, so an accepted
change keeps the old key's line as history. Delete lines to forget keys.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from cli.client import ClientError
from cli.name_folding import same_name, visible_name
from cli.terminal import printable
from vault.files import append_private

FILE_NAME = "known_keys"
_FINGERPRINT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}( [0-9A-HJKMNP-TV-Z]{4}){3}$")


class KeyTrustError(ClientError):
    """The pinned keys refuse this key, or the file cannot be used; the message is one sentence."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 0)


class KeyRole(StrEnum):
    PRACTICE = "practice"
    AUTHOR = "author"


class PinState(StrEnum):
    FIRST_USE = "first use"  # not seen before: now pinned
    PINNED = "pinned"  # the key seen before
    ACCEPTED = "accepted"  # a changed key the user named with --accept-key


def config_dir(environ: Mapping[str, str], home: Callable[[], Path] = Path.home) -> Path:
    """``$XDG_CONFIG_HOME/permanence``, else ``~/.config/permanence`` (read by the caller, once;
    a relative ``XDG_CONFIG_HOME`` is ignored, as the XDG specification says)."""
    base = environ.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else home() / ".config"
    return root / "permanence"


def normalise_fingerprint(text: str) -> str:
    """A typed fingerprint in the printed form: upper case, four groups of four."""
    bare = re.sub(r"[\s-]", "", text).upper()
    return " ".join(bare[i : i + 4] for i in range(0, len(bare), 4))


@dataclass(frozen=True, slots=True)
class Pin:
    role: KeyRole
    account_id: str
    fingerprint: str
    state: PinState
    name: str = ""  # the display name the server gave when the key was pinned (authors)


class KnownKeys:
    """The pinned fingerprints of one vault (``origin``), read from ``directory/known_keys``."""

    def __init__(self, directory: Path, origin: str, accepted: Iterable[str] = ()) -> None:
        self.path = directory / FILE_NAME
        self.origin = origin
        self.accepted = {normalise_fingerprint(a) for a in accepted}
        self._pins = self._read()

    def _read(self) -> dict[tuple[str, str], tuple[str, str]]:
        try:
            with self.path.open("r", encoding="utf-8") as f:
                mode = os.fstat(f.fileno()).st_mode
                if mode & (stat.S_IWGRP | stat.S_IWOTH):
                    raise KeyTrustError(
                        f"{self.path} can be changed by other users; make it private"
                        f" (chmod 600 {self.path}) and run again"
                    )
                lines = f.read().splitlines()
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as e:
            reason = getattr(e, "strerror", None) or "not UTF-8 text"
            raise KeyTrustError(f"cannot read the pinned keys in {self.path}: {reason}") from None
        pins: dict[tuple[str, str], tuple[str, str]] = {}
        for number, line in enumerate(lines, 1):
            if not line.strip() or line.startswith("#"):
                continue
            key_part, _, name = line.partition("\t")
            fields = key_part.split(" ", 3)
            if (
                len(fields) != 4
                or fields[1] not in set(KeyRole)
                or not _is_uuid(fields[2])
                or not _FINGERPRINT.match(fields[3])
            ):
                raise KeyTrustError(
                    f"line {number} of {self.path} is not a pinned key; correct or delete it"
                )
            if fields[0] == self.origin:
                pins[(fields[1], fields[2])] = (fields[3], name)
        return pins

    def check(
        self, role: KeyRole, account_id: str, fingerprint: str, label: str, name: str = ""
    ) -> Pin:
        """Compare ``fingerprint`` (computed here) with the pin; refuse an unaccepted change.

        ``label`` names the key in the refusal ("key of practice X"). Nothing is
        written: call ``remember`` once the key has proved itself.
        """
        name = printable(visible_name(name))  # one line of the pin file, compared folded
        old, _ = self._pins.get((role.value, account_id), (None, ""))
        if old is None:
            return Pin(role, account_id, fingerprint, PinState.FIRST_USE, name)
        if old == fingerprint:
            return Pin(role, account_id, fingerprint, PinState.PINNED, name)
        if fingerprint in self.accepted:
            return Pin(role, account_id, fingerprint, PinState.ACCEPTED, name)
        raise KeyTrustError(
            f"the {label} changed from {old} (pinned) to {fingerprint}: if you have"
            f" confirmed the new fingerprint with its owner, run again with"
            f" --accept-key '{fingerprint}'"
        )

    def say(self, pin: Pin, who: str) -> None:
        """Tell the user (stderr) which key is used: the fingerprint computed here, and whether
        it is new."""
        if pin.state == PinState.FIRST_USE:
            note = (
                f"first use, now pinned in {self.path}; compare it with the fingerprint"
                " its owner reads to you"
            )
        elif pin.state == PinState.ACCEPTED:
            note = "a new key you accepted with --accept-key, now pinned"
        else:
            note = "pinned"
        print(f"{who}: key fingerprint {pin.fingerprint} ({note})", file=sys.stderr)

    def look_alikes(self, pin: Pin) -> list[str]:
        """Other pinned accounts of the same role whose display name reads as this new pin's
        (``cli.name_folding.same_name``: accents, case, spacing and look-alike letters)."""
        if pin.state != PinState.FIRST_USE or not pin.name:
            return []
        return sorted(
            account
            for (role, account), (_, name) in self._pins.items()
            if role == pin.role.value and account != pin.account_id and same_name(name, pin.name)
        )

    def remember(self, pin: Pin) -> None:
        """Write a first-use or accepted pin (an atomic append to a file of mode 0600)."""
        if pin.state == PinState.PINNED:
            return
        line = f"{self.origin} {pin.role.value} {pin.account_id} {pin.fingerprint}"
        line += f"\t{pin.name}\n" if pin.name else "\n"
        try:
            append_private(self.path, line)
        except OSError as e:
            raise KeyTrustError(
                f"cannot pin the key in {self.path}: {e.strerror or e}; nothing was done"
            ) from None
        self._pins[(pin.role.value, pin.account_id)] = (pin.fingerprint, pin.name)


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False
