"""The browser's module (web/static/js/app/localdates.js, run under Node) writes every time of a
sweep exactly as web/local_dates.py does: every 10 minutes across both DST changes of
Europe/Paris, and across a year for two overseas zones (America/Martinique, Indian/Reunion)."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from web.local_dates import duration, long_time, short_time

REPO = Path(__file__).parents[2]
EMITTER = REPO / "tests" / "js" / "emit_local_dates.mjs"


def _sweep() -> list[tuple[int, str]]:
    cases: list[tuple[int, str]] = []
    for day in (datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 10, 24, tzinfo=UTC)):
        for step in range(0, 2 * 24 * 6):  # two days, every 10 minutes (and a few seconds)
            at = day + timedelta(minutes=10 * step, seconds=step % 60)
            cases.append((int(at.timestamp()), "Europe/Paris"))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for zone in ("America/Martinique", "Indian/Reunion", "Europe/Paris"):
        for step in range(0, 365 * 24, 7):  # every 7 hours for a year: every hour of the day
            at = start + timedelta(hours=step, minutes=step % 60)
            cases.append((int(at.timestamp()), zone))
    return cases


def test_the_browser_writes_every_time_as_the_server(node: str) -> None:
    cases = _sweep()
    done = subprocess.run(
        [node, str(EMITTER)],
        input=json.dumps([{"at": at, "zone": zone} for at, zone in cases]),
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=120,
    )
    shown = json.loads(done.stdout)
    assert len(shown) == len(cases) > 4000
    for (at, zone), js in zip(cases, shown, strict=True):
        moment, tz = datetime.fromtimestamp(at, UTC), ZoneInfo(zone)
        for lang in ("fr", "en"):
            assert js[lang] == [short_time(moment, tz, lang), long_time(moment, tz, lang)], (
                moment,
                zone,
            )
        assert js["duration"] == duration(at % 100000)
