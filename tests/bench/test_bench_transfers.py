"""bench/bench_transfers.py's report: ratios and the ceilings the worker's own clock sets."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
X = "\u00d7"  # the multiplication sign of the ratios


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_transfers", ROOT / "bench/bench_transfers.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_transfers", module)
    spec.loader.exec_module(module)
    return module


def _round(bench: ModuleType, plain: float, up: float, down: float) -> dict[str, Any]:
    r: dict[str, Any] = dict.fromkeys(("plain POST", "plain 8 MiB slices"), plain)
    r |= {bench.FETCH: plain / 2, bench.OWN: plain}
    r |= dict.fromkeys(("product upload", *bench.UPLOAD_VARIANTS), up)
    r |= dict.fromkeys(("product download", *bench.DOWNLOAD_VARIANTS), down)
    steps = {"readMs": 100, "copyMs": 20, "cryptoMs": 500, "hashMs": 300, "blobMs": 80}
    r["upload stats"] = dict(steps)
    r["download stats"] = dict(steps, cryptoMs=400)
    r["cores"] = 2
    return r


def test_the_report_gives_each_ratio_and_the_ceilings_of_the_worker() -> None:
    bench = _bench()
    rounds = [_round(bench, 700, 1000, 1400), _round(bench, 800, 1000, 1400)]
    rounds.append(_round(bench, 750, 1000, 1400))
    report = bench._report(rounds, 100, ["0.1 0.1 0.1"] * 3)
    assert f"| upload vs one plain POST | 0.75{X} |" in report
    assert f"| download vs plain fetch → Blob | 0.27{X} |" in report
    # secretstream alone: 750 / 500 for the upload, 375 / 400 for the download
    assert f"| ceiling: upload's secretstream alone vs one plain POST | 1.50{X} |" in report
    assert f"| ceiling: download's secretstream alone vs plain fetch → Blob | 0.94{X} |" in report
    # the worker's steps in series: 750 / 1000, 375 / 900
    assert f"| ceiling: upload's worker steps in series vs one plain POST | 0.75{X} |" in report
    assert (
        f"| ceiling: download's worker steps in series vs plain fetch → Blob | 0.42{X} |" in report
    )


def test_no_ceiling_is_claimed_without_the_worker_s_clock() -> None:
    """A tree without the product's per-step clock (before issue 18) reports ratios only."""
    bench = _bench()
    rounds = [_round(bench, 700, 1000, 1400)]
    rounds[0]["upload stats"] = {}
    rounds[0]["download stats"] = {}
    report = bench._report(rounds, 100, ["0.1 0.1 0.1"])
    assert "| upload vs one plain POST |" in report
    assert "ceiling" not in report
