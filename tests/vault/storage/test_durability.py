"""An acknowledged write survives SIGKILL of the process that made it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from vault.settings import Settings
from vault.storage.datadir import database_key
from vault.storage.store import connect, integrity_check

# SIGKILL of a process holding the SQLCipher file (PostgreSQL's: workers branch)
pytestmark = pytest.mark.embedded_only

WRITER_SCRIPT = textwrap.dedent(
    """
    import sys, threading
    from pathlib import Path
    from crypto.secret import Secret
    from vault.storage.database import Database

    db = Database(Path(sys.argv[1]), Secret(bytes.fromhex(sys.argv[2])), max_group=64)
    db.write(lambda c: c.execute("CREATE TABLE acked (n INTEGER PRIMARY KEY, pad BLOB)"))
    lock = threading.Lock()

    def worker(start):
        n = start
        while True:
            sql = "INSERT INTO acked VALUES (?, randomblob(512))"
            db.write(lambda c, n=n: c.execute(sql, (n,)))
            with lock:
                sys.stdout.write(f"{n}\\n")
                sys.stdout.flush()
            n += 8

    for i in range(8):
        threading.Thread(target=worker, args=(i,), daemon=True).start()
    threading.Event().wait()
    """
)


def test_acknowledged_writes_survive_sigkill(initialised: Settings, tmp_path: Path) -> None:
    """Kill -9 mid-stream: every write acknowledged before the kill is there after reopening."""
    key = database_key(initialised)
    script = tmp_path / "writer.py"
    script.write_text(WRITER_SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(initialised.layout.database), key.value.hex()],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
    )
    assert proc.stdout is not None
    acked: list[int] = []
    deadline = time.monotonic() + 60
    while len(acked) < 1500 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acked.append(int(line))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert len(acked) >= 1500, "the writer did not acknowledge enough writes"

    conn = connect(initialised.layout.database, key)
    present = {r[0] for r in conn.execute("SELECT n FROM acked")}
    assert integrity_check(conn) == []
    conn.close()
    missing = [n for n in acked if n not in present]
    assert missing == []
