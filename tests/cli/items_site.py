"""A real vault served by uvicorn, with a practice member and an assigned secretary, for the
``permanence deposit``/``fetch`` tests; the clock is the test's so that every sign-in gets a
fresh TOTP step."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cli.main import main
from tests.e2e.conftest import ARRANGE, new_vault, start_server
from tests.e2e.deposit_site import PRACTICE, Site, _Logs, _Recorder
from vault.env import Principal
from vault.identity import accounts, practices
from vault.identity.roles import Role
from vault.storage.blobs import BlobDirectory
from web.app import create_app

MEMBER = "dr.cli@example.org"
SECRETARY = "nightly"
ROOT = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        return self.at


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class Vault:
    site: Site
    clock: Clock
    config: Path
    practice_id: str
    secretary_id: str
    member_id: str
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]

    @property
    def url(self) -> str:
        return self.site.base_url

    def code(self, username: str) -> str:
        """A TOTP code of a step no earlier sign-in used."""
        self.clock.at += timedelta(seconds=90)
        return self.site.next_code(username)

    def run(self, username: str, *args: str, url: str | None = None, stdin: str = "") -> Run:
        """``permanence COMMAND --url … --username … --code …`` in this process."""
        command, *rest = args
        self.monkeypatch.setenv("PERMANENCE_PASSWORD", self.site.passwords[username])
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        self.capsys.readouterr()
        argv = [command, "--url", url or self.url, "--username", username]
        code = main([*argv, "--code", self.code(username), *rest])
        captured = self.capsys.readouterr()
        return Run(code, captured.out, captured.err)

    def spawn(
        self,
        username: str,
        *args: str,
        url: str,
        preexec_fn: Callable[[], None] | None = None,
    ) -> subprocess.Popen[str]:
        """The same command in a process of its own (for signals and resource limits)."""
        command, *rest = args
        env = {
            **os.environ,
            "PERMANENCE_PASSWORD": self.site.passwords[username],
            "XDG_CONFIG_HOME": str(self.config),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        argv = [command, "--url", url, "--username", username, "--code", self.code(username)]
        return subprocess.Popen(
            [sys.executable, "-m", "cli.main", *argv, *rest],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=preexec_fn,  # noqa: PLW1509 - only sets a resource limit
        )

    def sql(self, statement: str, params: Sequence[object] = ()) -> None:
        """The operator's attack: change the database directly."""
        self.site.env.db.write(lambda c: c.execute(statement, tuple(params)))

    def deposit_message(self, *extra: str, text: str = "rappeler le patient") -> str:
        run = self.run(SECRETARY, "deposit", "--subject", "Rappel", *extra, stdin=text)
        assert run.code == 0, run.err
        return run.out.strip()

    def deposit_file(self, path: Path) -> str:
        run = self.run(SECRETARY, "deposit", "--file", str(path))
        assert run.code == 0, run.err
        return run.out.strip()

    def blob(self, item_id: str) -> Path:
        return BlobDirectory(self.site.settings.layout.blobs_dir).path(item_id)  # the CLI's v7 ids


@pytest.fixture
def vault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Vault]:
    clock = Clock()
    sock, settings, vault = new_vault(tmp_path, now=clock.now)
    env = vault.env
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))  # never the real ~/.config
    recorder = _Recorder(create_app(vault))
    server, thread = start_server(recorder, sock)
    try:
        site = Site(settings.base_url, settings, env, recorder, _Logs())
        member = site.enrol(Role.MEMBER, MEMBER, PRACTICE)
        secretary = site.enrol(Role.SECRETARY, SECRETARY)
        admin = accounts.invite(
            env, ARRANGE, None, username="root", display_name="Root", role=Role.ADMIN
        ).account_id
        pid = env.db.read(lambda c: c.execute("SELECT id FROM practice").fetchone()[0])
        practices.set_assignment(
            env, ARRANGE, Principal(admin, "root", Role.ADMIN), secretary, pid, True
        )
        yield Vault(site, clock, config, pid, secretary, member, monkeypatch, capsys)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        env.db.close()


def files_in(folder: Path) -> list[str]:
    """Every file left in ``folder``, hidden ones included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def one_sentence(err: str) -> str:
    """The single ``permanence: …`` line a refusal prints (no traceback)."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("permanence: ")]
    assert len(lines) == 1, err
    return lines[0]


__all__ = ["MEMBER", "SECRETARY", "Vault", "files_in", "main", "one_sentence", "vault"]
