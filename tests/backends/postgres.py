"""A throwaway PostgreSQL cluster for the tests: Debian's binaries, a Unix socket only.

``initdb`` makes a cluster in a temporary directory (C collation and character type,
UTF-8: text compares and sorts as SQLite's BINARY does), ``pg_ctl`` starts it with its
socket in that directory and no TCP port, and it is stopped and removed at the end of
the session. PostgreSQL refuses to run as root, and this machine and CI run as root: the
cluster then runs as ``nobody`` (the temporary directory is made theirs); as anyone else,
as oneself. A template database holds the migrated schema once; each test gets its own
database copied from it (``CREATE DATABASE … TEMPLATE``), which is fast.
"""

from __future__ import annotations

import atexit
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from crypto.secret import Secret

SUPERUSER = "permanence"
TEMPLATE = "permanence_template"
UNPRIVILEGED = "nobody"


def bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run scripts/setup --dev")
    return Path(found[-1]).parent


@dataclass
class Cluster:
    root: Path
    socket_dir: Path
    run_as: str | None
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    made: list[str] = field(default_factory=list)  # databases made since the last ``made.clear``

    def url(self, database: str) -> Secret:
        host = quote(str(self.socket_dir), safe="")
        return Secret(f"postgresql:///{database}?host={host}&user={SUPERUSER}".encode())

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run(
            [
                str(bin_dir() / "psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                str(self.socket_dir),
                "-U",
                SUPERUSER,
                "-d",
                database,
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    def new_database(self, template: str | None = TEMPLATE, *, keep: bool = False) -> Secret:
        """A fresh database (a copy of the migrated template, or empty); its URL. Dropped
        after the test that made it, unless ``keep`` (then at the end of the session)."""
        name = f"t_{os.getpid()}_{next(self._names)}"
        copy = f" TEMPLATE {template}" if template else " TEMPLATE template0"
        self.psql(f"CREATE DATABASE {name}{copy}")
        if not keep:
            self.made.append(name)
        return self.url(name)


def _command(run_as: str | None, *argv: str) -> list[str]:
    return ["runuser", "-u", run_as, "--", *argv] if run_as else list(argv)


def start_cluster() -> Cluster:
    run_as = UNPRIVILEGED if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="permanence-pg-"))
    if run_as is not None:
        user = pwd.getpwnam(run_as)
        os.chown(root, user.pw_uid, user.pw_gid)
    data = root / "data"
    pg = bin_dir()
    subprocess.run(
        _command(
            run_as,
            str(pg / "initdb"),
            "-D",
            str(data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--locale=C",
            "--encoding=UTF8",
            "--no-sync",
        ),
        check=True,
        capture_output=True,
        cwd=root,  # the unprivileged user may not enter the current directory
    )
    options = f"-c listen_addresses='' -k {root} -c fsync=on -c max_connections=400"
    subprocess.run(
        _command(
            run_as,
            str(pg / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(root / "log"),
            "-o",
            options,
            "-w",
            "start",
        ),
        check=True,
        capture_output=True,
        cwd=root,
    )
    return Cluster(root=root, socket_dir=root, run_as=run_as)


def stop_cluster(cluster: Cluster) -> None:
    subprocess.run(
        _command(
            cluster.run_as,
            str(bin_dir() / "pg_ctl"),
            "-D",
            str(cluster.root / "data"),
            "-m",
            "immediate",
            "-w",
            "stop",
        ),
        check=False,
        capture_output=True,
        cwd=cluster.root,
    )
    shutil.rmtree(cluster.root, ignore_errors=True)


_shared: Cluster | None = None


def shared_cluster() -> Cluster:
    """The session's cluster, started on first use (``stop_shared`` at the session's end),
    with the migrated template database."""
    global _shared  # noqa: PLW0603 - one cluster per test session
    if _shared is None:
        cluster = start_cluster()
        try:
            cluster.psql(f"CREATE DATABASE {TEMPLATE} TEMPLATE template0")
            _migrate(cluster.url(TEMPLATE))
        except BaseException:
            stop_cluster(cluster)
            raise
        _shared = cluster
        atexit.register(stop_shared)  # also if the session ends without pytest's hooks
    return _shared


def _migrate(url: Secret) -> None:
    from vault.storage.migrate import migrate
    from vault.storage.postgres.connection import connect

    conn = connect(url)
    try:
        migrate(conn)
    finally:
        conn.close()


def stop_shared() -> None:
    global _shared  # noqa: PLW0603
    if _shared is not None:
        stop_cluster(_shared)
        _shared = None


def drop_databases(cluster: Cluster, names: list[str]) -> None:
    for name in names:
        cluster.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def drop_made() -> None:
    """Drop the databases made since the last call (after each test), if the cluster runs."""
    if _shared is not None:
        made, _shared.made[:] = list(_shared.made), []
        drop_databases(_shared, made)
