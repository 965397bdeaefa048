"""Opening an initialised vault for a command: keys, database, environment, demo data."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from audit.issuer import CheckpointIssuer
from vault.env import Env
from vault.opening import open_vault
from vault.settings import Settings


@contextmanager
def open_env(settings: Settings) -> Iterator[Env]:
    """The opened vault's environment for one command (``vault.opening.open_vault``)."""
    with open_vault(settings) as vault:
        yield vault.env


@dataclass(frozen=True, slots=True)
class AuditCommandContext:
    """What ``permanence audit`` commands get (see cli/audit_cmd.py)."""

    env: Env
    issuer: CheckpointIssuer  # built by vault.auditing.checkpoints, as the server builds it


def audit_context_opener(settings_of: Callable[[object], Settings]) -> Callable[[object], object]:
    @contextmanager
    def opener(args: object) -> Iterator[AuditCommandContext]:
        settings = settings_of(args)
        with open_vault(settings) as vault:  # refuses a wrong audit_origin before anything
            yield AuditCommandContext(env=vault.env, issuer=vault.checkpointing.issuer)

    return opener
