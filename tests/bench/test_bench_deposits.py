"""bench/bench_deposits.py's rounds: interleaved servers, the median of paired ratios."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    sys.path.insert(0, str(ROOT))  # the bench imports the test factories as ``tests``
    path = ROOT / "bench/bench_deposits.py"
    spec = importlib.util.spec_from_file_location("bench_deposits", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_deposits", module)
    spec.loader.exec_module(module)
    return module


def test_each_server_comes_first_in_every_other_round() -> None:
    bench = _bench()
    bare, deposit = bench.BARE, bench.DEPOSIT
    assert bench.round_order(3) == [bare, deposit, deposit, bare, bare, deposit]
    order = bench.round_order(4)
    assert order.count(bare) == order.count(deposit) == 4


def test_the_summary_pairs_each_deposit_run_with_the_bare_run_next_to_it() -> None:
    bench = _bench()
    # A machine that slows down and recovers: the paired ratios stay near 0.8 while the
    # ratio of the medians (500 / 1,000) would say 0.5.
    rates = {bench.BARE: [1000, 500, 1250], bench.DEPOSIT: [800, 400, 500]}
    bare, deposit, ratio, low, high = bench.summary(rates)
    assert (bare, deposit) == (1000, 500)
    assert ratio == pytest.approx(0.8)
    assert (low, high) == (pytest.approx(0.4), pytest.approx(0.8))


def test_a_round_without_its_pair_is_refused() -> None:
    bench = _bench()
    with pytest.raises(ValueError, match="shorter"):
        bench.summary({bench.BARE: [1000, 900], bench.DEPOSIT: [800]})


def test_the_inbox_benchmark_reads_full_pages_through_the_app(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It asserts 50 items per page itself; its client once named a host the app refuses."""
    _bench().bench_inbox(tmp_path, [60])
    assert "\n| 60 | " in capsys.readouterr().out
