"""Opening an initialised vault for a command: keys, database, environment, demo data."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from audit.issuer import CheckpointIssuer
from vault.auditing.checkpoints import checkpoint_issuer
from vault.env import Env
from vault.settings import Settings
from vault.storage.database import Database
from vault.storage.datadir import check, database_key
from vault.storage.store import read_key_file


@contextmanager
def open_env(settings: Settings) -> Iterator[Env]:
    check(settings)
    db = Database(
        settings.layout.database, database_key(settings), max_group=settings.group_commit_max
    )
    try:
        yield Env(
            db=db,
            settings=settings,
            server_secret=read_key_file(settings.layout.server_secret_file),
        )
    finally:
        db.close()


@dataclass(frozen=True, slots=True)
class AuditCommandContext:
    """What ``permanence audit`` commands get (see cli/audit_cmd.py)."""

    env: Env
    issuer: CheckpointIssuer  # built by vault.auditing.checkpoints, as the server builds it


def audit_context_opener(settings_of: Callable[[object], Settings]) -> Callable[[object], object]:
    @contextmanager
    def opener(args: object) -> Iterator[AuditCommandContext]:
        settings = settings_of(args)
        issuer = checkpoint_issuer(settings)  # refuses a wrong audit_origin before anything
        with open_env(settings) as env:
            yield AuditCommandContext(env=env, issuer=issuer)

    return opener
