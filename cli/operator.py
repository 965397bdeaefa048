"""Who acts when someone runs ``permanence`` at the console: one audit actor for every command.

Every command that writes audit entries (``init``, ``demo``, ``users``,
``assignments``, ``backup``, ``restore``, ``audit``) records the same actor:
no account, role ``operator``, and a name naming the operating-system user and
the command, e.g. ``alice via permanence users invite``. The OS user is the
effective user id's name (not ``$USER``, which the environment can set).
"""

from __future__ import annotations

import os

from audit.entry import Actor
from vault.env import RequestInfo

OPERATOR_ROLE = "operator"
REQUEST_ID = "cli"
USER_AGENT = "permanence command line"
_MAX_NAME = 256  # audit.entry's limit on a name


def os_user() -> str:
    """The name of the effective user running the command (its uid when it has none)."""
    uid = os.geteuid()
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name or f"uid {uid}"
    except (ImportError, KeyError):
        return f"uid {uid}"


def command_line_actor(command: str, user: str | None = None) -> Actor:
    """The actor of ``permanence <command>`` run by ``user`` (default: the current OS user)."""
    name = f"{user or os_user()} via permanence {command}"
    return Actor(account=None, name=name[:_MAX_NAME], role=OPERATOR_ROLE)


def command_line(command: str) -> RequestInfo:
    """The request of ``permanence <command>``: its entries carry the command-line actor."""
    return RequestInfo(
        request_id=REQUEST_ID, user_agent=USER_AGENT, actor=command_line_actor(command)
    )
