"""What ``permanence deposit`` and ``fetch`` share: signing in from a terminal or a script,
the pinned keys, progress bars, the options and one sentence for every failure."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cli.client import ClientError, HttpTransport, Unlocked, sign_in, vault_origin
from cli.known_keys import KnownKeys, config_dir
from cli.terminal import printable
from crypto.errors import CryptoError, WeakKdfParameters


def progress(label: str, total: int) -> Callable[[int], None]:
    """A one-line progress bar on stderr for long transfers."""

    def show(done: int) -> None:
        if total <= 0 or not sys.stderr.isatty():
            return
        width = 30
        filled = int(width * done / total)
        sys.stderr.write(
            f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done * 100 // total}%"
        )
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


@contextmanager
def session(args: argparse.Namespace) -> Iterator[tuple[HttpTransport, Unlocked]]:
    """Signed in for one command, signed out at its end, also when it fails."""
    transport = HttpTransport(args.url)
    try:
        yield transport, connect(args, transport)
    finally:
        transport.sign_out()


def connect(args: argparse.Namespace, transport: HttpTransport) -> Unlocked:
    try:
        password = os.environ.get("PERMANENCE_PASSWORD") or getpass.getpass(
            f"Password for {args.username}: "
        )
        code = args.code or input("Authenticator code: ").strip()
    except EOFError:
        raise ClientError(
            "no password or authenticator code could be read: set PERMANENCE_PASSWORD"
            " and give the code with --code",
            0,
        ) from None
    try:
        unlocked = sign_in(transport, args.username, password, code)
    except WeakKdfParameters:
        raise ClientError(
            "the server asks for password-hashing parameters outside the accepted range;"
            " refusing to derive your keys with them",
            0,
        ) from None
    except CryptoError:
        raise ClientError(
            "the keys the server sent for your account do not open with your password", 0
        ) from None
    except (KeyError, TypeError, ValueError):
        raise transport.not_a_vault() from None
    transport.load_csrf()
    return unlocked


def known_keys_of(args: argparse.Namespace) -> KnownKeys:
    """The pinned keys of this vault; the configuration directory is read here, at the edge."""
    try:
        directory = Path(args.config_dir) if args.config_dir else config_dir(os.environ)
    except RuntimeError:  # no HOME and no password-database entry
        raise ClientError(
            "no home folder to keep pinned keys in: set XDG_CONFIG_HOME or give --config-dir", 0
        ) from None
    return KnownKeys(directory, vault_origin(args.url), args.accept_key or ())


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def canonical_id(value: object, transport: HttpTransport) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise transport.not_a_vault() from None


def common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url", required=True, help="the vault's address, e.g. https://vault.example"
    )
    parser.add_argument("--username", required=True)
    parser.add_argument("--code", help="authenticator code (asked for when absent)")
    parser.add_argument(
        "--accept-key",
        action="append",
        metavar="FINGERPRINT",
        help="accept a changed key with this fingerprint (after checking it with its owner)",
    )
    parser.add_argument(
        "--config-dir",
        help="where pinned keys are kept (default: $XDG_CONFIG_HOME/permanence"
        " or ~/.config/permanence)",
    )


def guard(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return command(args)
    except UnicodeDecodeError:  # what the user gave; server answers are checked in the transport
        error: ClientError = ClientError("the text given on standard input is not UTF-8", 0)
    except CryptoError:  # a key or answer from the server that is not what it must be
        error = ClientError(f"what the server at {args.url} sent failed verification", 0)
    except (KeyError, TypeError, ValueError, AttributeError):  # a server answer of another shape
        error = ClientError(
            f"the server at {args.url} did not answer as a Permanence vault does", 0
        )
    except ClientError as e:
        error = e
    print(f"permanence: {printable(error)}", file=sys.stderr)
    return 1
