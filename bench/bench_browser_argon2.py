"""Argon2id at the format v1 floor (ops=3, mem=64 MiB): headless Chromium vs native libsodium.

Runs the vendored libsodium.js (WebAssembly) through web/static/js/crypto/ in
Debian's headless Chromium, on a page served by uvicorn under the production
CSP, then PyNaCl's argon2id with the same parameters, in the same run; prints a
markdown section with the median of 5 runs of each (after one warm-up run).

    PYTHONPATH=. .venv/bin/python bench/bench_browser_argon2.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import socket
import statistics
import threading
import time
from pathlib import Path

import nacl
import nacl.pwhash
import uvicorn
from playwright.sync_api import sync_playwright
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from web.security import SecurityHeaders

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
OPS = 3
MEM = 64 * 1024 * 1024
PASSWORD = "correct horse battery staple"  # noqa: S105 - a benchmark input, not a secret

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>bench</title><link rel="icon" href="data:,">
<script type="module" src="/bench.js"></script></head><body></body></html>"""

# Loading the module is timed too: it compiles libsodium's WebAssembly once per page.
_MODULE = """
const start = performance.now();
const pc = await import("/static/js/crypto/index.js");
window.loadMs = performance.now() - start;
window.timeArgon2 = async (ops, mem, runs) => {
  const params = { alg: "argon2id13", ops, mem, salt: pc.toBase64url(new Uint8Array(16)) };
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await pc.deriveMaster(PASSWORD, params);
    times.push(performance.now() - t0);
  }
  return times;
};
document.documentElement.dataset.ready = "true";
"""


def _app() -> Starlette:
    module = f"const PASSWORD = {json.dumps(PASSWORD)};\n{_MODULE}"
    return Starlette(
        routes=[
            Route("/", lambda _request: Response(_PAGE, media_type="text/html")),
            Route("/bench.js", lambda _request: Response(module, media_type="text/javascript")),
            Mount("/static", StaticFiles(directory=REPO / "web" / "static")),
        ]
    )


def _serve() -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        SecurityHeaders(_app(), behind_tls=False), log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return server, thread, f"http://127.0.0.1:{port}"


def browser_times(runs: int) -> tuple[list[float], float, str]:
    """Milliseconds per Argon2id run in Chromium, module load time, browser version."""
    server, thread, url = _serve()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                page = browser.new_page()
                page.goto(url + "/")
                page.wait_for_selector("html[data-ready=true]", timeout=30_000)
                load_ms = float(page.evaluate("window.loadMs"))
                page.evaluate("([o, m]) => window.timeArgon2(o, m, 1)", [OPS, MEM])  # warm-up
                times = page.evaluate("([o, m, n]) => window.timeArgon2(o, m, n)", [OPS, MEM, runs])
                return [float(t) for t in times], load_ms, browser.version
            finally:
                browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def native_times(runs: int) -> list[float]:
    """Milliseconds per Argon2id run with PyNaCl (libsodium, native)."""
    salt = bytes(16)
    nacl.pwhash.argon2id.kdf(32, PASSWORD.encode(), salt, opslimit=OPS, memlimit=MEM)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        nacl.pwhash.argon2id.kdf(32, PASSWORD.encode(), salt, opslimit=OPS, memlimit=MEM)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    browser, load_ms, version = browser_times(args.runs)
    native = native_times(args.runs)
    b_med, n_med = statistics.median(browser), statistics.median(native)
    print(f"### Argon2id, ops={OPS}, mem=64 MiB: browser vs native (median of {args.runs})\n")
    print(f"Machine: {platform.machine()}, {platform.system()} {platform.release()}.\n")
    print("| implementation | median | runs (ms) |")
    print("|---|---:|---|")
    print(
        f"| libsodium.js 0.8.4 (WebAssembly), headless Chromium {version} "
        f"| {b_med:.0f} ms | {', '.join(f'{t:.0f}' for t in browser)} |"
    )
    print(
        f"| PyNaCl {nacl.__version__} (native libsodium) "
        f"| {n_med:.0f} ms | {', '.join(f'{t:.0f}' for t in native)} |"
    )
    print(
        f"\nBrowser / native: {b_med / n_med:.2f}x. Loading the crypto module "
        f"(libsodium.js WebAssembly compile) took {load_ms:.0f} ms once per page."
    )


if __name__ == "__main__":
    main()
