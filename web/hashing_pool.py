"""Password hashing off the event loop, at most one per CPU core but one.

Argon2 verification (~27 ms of CPU each) runs in threads that release the GIL;
letting every waiting sign-in hash at once starves the event loop on a small
machine, and every other request's latency with it. One core stays free for
serving pages (docs/performance.md, sign-ins per second).
"""

from __future__ import annotations

import asyncio
import functools
import os
import weakref
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

P = ParamSpec("P")
T = TypeVar("T")

# One limiter per event loop (tests run several apps, each with its own loop).
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _slots() -> int:
    return max(1, (os.cpu_count() or 2) - 1)


async def run_hashing(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a password-hashing call in a thread, limited to ``cpu_count - 1`` at once."""
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = CapacityLimiter(_slots())
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=limiter)
