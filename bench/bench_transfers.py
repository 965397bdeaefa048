"""Extract upload and download in headless Chromium: the product against plain transfers.

One run, one browser (Debian's Chromium, headless), one file of 100 MiB of random bytes:

- product upload: the deposit page's own module (``pages/extract-upload.js``
  ``uploadExtract``, what the extract form calls) on the real app under uvicorn: reading,
  encryption and hashing in the transfer Worker, 8 MiB parts to ``PUT /uploads/{id}/{offset}``
  (two on the wire; written, fsynced and recorded by the vault in order), timed in the
  page from the first request to the last part acknowledged (the envelope's small
  ``POST /items`` is not included);
- plain upload by the same browser to a bare Starlette endpoint (uvicorn, same process
  arrangement): the file as one ``POST`` (written and fsynced), and as 8 MiB ``File.slice``
  parts ``PUT`` one after the other, each written and fsynced before the answer;
- product download: the item page's button (``app/transfer.js`` ``downloadExtract``: fetch
  and decryption in one Worker, the stream hash in a second, a Blob of the verified
  plaintext for the save link), timed in the page from the click to the Blob;
- plain download of the same stream bytes from a bare endpoint: ``fetch`` then
  ``response.blob()`` (the same save path: a Blob), and the browser's own download of the
  same URL (Playwright waits until the file is complete on disk).

Medians of ``--runs`` (3) rounds, the configurations alternating within each round (the
product's own in a rotating order with the same code with issue 18's session-6 steps turned
off: the hash in a second worker, two parts in flight). The
breakdown is the product's own per-step clock (``app/transfer.js`` ``lastStats``) and the
server's time in ``uploads.append`` per part, less the time a part that came early waited
for the previous one (reported on its own row).

    PYTHONPATH=. .venv/bin/python bench/bench_transfers.py [--mib 100] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from crypto.envelope import ItemKind
from crypto.stream import FileManifest, encrypt_stream, new_file_key
from tests.e2e.conftest import new_vault, start_server
from tests.factories import REQ, add_account, add_practice, assign, seal, session_for
from vault.identity.roles import Role
from vault.items import deposits, uploads
from web.app import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
MIB = 1024 * 1024
SLICE = 8 * MIB
X = "\u00d7"  # the multiplication sign of the ratios
OWN = "browser's own download"
FETCH = "plain fetch → Blob"
# The same code with its issue-18 session-6 steps turned off, in the same run (what it was
# before them): the stream hash in the encrypting/decrypting worker, and one part in flight.
# The product chooses a second worker for the hash where navigator.hardwareConcurrency > 2.
UPLOAD_VARIANTS: dict[str, dict[str, Any]] = {
    "upload, 2 parts in flight, hash in a second worker": {"hashWorker": True},
    "upload, 2 parts in flight, hash in the same worker": {"hashWorker": False},
    "upload, 1 part in flight, hash in the same worker (as before)": {
        "hashWorker": False,
        "inFlight": 1,
    },
}
DOWNLOAD_VARIANTS: dict[str, dict[str, Any]] = {
    "download, hash in a second worker": {"hashWorker": True},
    "download, hash in the same worker (as before)": {"hashWorker": False},
}
SERVER_PART_MS: list[float] = []  # time in uploads.append per part (write, fsync, record)
SERVER_WAIT_MS: list[float] = []  # of which a part that came early waited for the previous one

_PLAIN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>plain</title>
<link rel="icon" href="data:,"></head><body><input type="file" id="file"></body></html>"""

_PLAIN_POST = """async () => {
  const file = document.getElementById("file").files[0];
  const t0 = performance.now();
  const r = await fetch("/plain", { method: "POST", body: file });
  if (!r.ok) throw new Error(String(r.status));
  return performance.now() - t0;
}"""

_PLAIN_SLICES = """async (slice) => {
  const file = document.getElementById("file").files[0];
  const t0 = performance.now();
  for (let offset = 0; offset < file.size; offset += slice) {
    const body = file.slice(offset, offset + slice);
    const r = await fetch(`/slice/${offset}`, { method: "PUT", body });
    if (!r.ok) throw new Error(String(r.status));
  }
  return performance.now() - t0;
}"""

_PLAIN_FETCH = """async () => {
  const t0 = performance.now();
  const r = await fetch("/stream");
  const blob = await r.blob();
  const ms = performance.now() - t0;
  return [ms, blob.size];
}"""

_PRODUCT_UPLOAD = """async ([practiceId, variant]) => {
  const { uploadExtract } = await import("/static/js/pages/extract-upload.js");
  const transfer = await import("/static/js/app/transfer.js");
  const file = document.querySelector("#extract-form input[name=file]").files[0];
  await new Promise((resolve) => setTimeout(resolve, 1000)); // the page's warm worker is ready
  const t0 = performance.now();
  await uploadExtract(file, { practiceId, itemId: crypto.randomUUID(), ...variant });
  return [performance.now() - t0, transfer.lastStats?.upload ?? null]; // none before issue 18
}"""

# What the item page's download button runs (pages/item.js): the worker fetches and decrypts,
# the verified Blob gets an object URL for the save link. Where app/transfer.js has no worker
# (the code before issue 18), the page's old loop: decryptFile over the response, on the page.
_PRODUCT_DOWNLOAD = """async ([url, manifest, variant]) => {
  const transfer = await import("/static/js/app/transfer.js");
  const pc = await import("/static/js/crypto/index.js");
  const m = pc.parseManifest(manifest);
  // As the item page does when it shows an extract: its workers compile before the click.
  const hashWorker = variant.hashWorker ?? transfer.HASH_WORKER;
  transfer.warmTransferWorker?.(hashWorker ? 2 : 1);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const t0 = performance.now();
  let blob;
  const job = { url, fileKey: m.fileKey, streamHash: m.streamHash, mediaType: m.mediaType };
  if (transfer.downloadExtract) {
    blob = await transfer.downloadExtract(job, undefined, { hashWorker });
  } else if (transfer.decryptInWorker) {
    const worker = transfer.transferWorker();
    try {
      blob = await transfer.decryptInWorker(worker, job);
    } finally {
      worker.terminate();
    }
  } else {
    const response = await fetch(url, { credentials: "same-origin" });
    const parts = [];
    for await (const piece of pc.decryptFile(response.body, m)) parts.push(piece);
    blob = new Blob(parts, { type: m.mediaType });
  }
  URL.createObjectURL(blob);
  const ms = performance.now() - t0;
  if (blob.size !== m.size) throw new Error("wrong size");
  return [ms, transfer.lastStats?.download ?? null];
}"""


_CLICK_DOWNLOAD = """() => {
  const a = document.createElement("a");
  a.href = "/download";
  document.body.append(a);
  a.click();
}"""


def _bare_app(blobs: Path, stream_file: Path) -> Starlette:
    """Plain endpoints: the file in one POST or 8 MiB PUTs, each fsynced; the stream back."""
    target = blobs / "plain.bin"

    async def page(_request: Request) -> Response:
        return Response(_PLAIN_PAGE, media_type="text/html")

    async def plain(request: Request) -> Response:
        with target.open("wb") as f:
            async for chunk in request.stream():
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        return JSONResponse({"received": target.stat().st_size})

    async def slice_(request: Request) -> Response:
        offset = int(request.path_params["offset"])
        body = await request.body()  # as the vault reads a part: whole, then written
        with target.open("r+b" if offset else "wb") as f:
            f.seek(offset)
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        return JSONResponse({"received": offset + len(body)})

    async def stream(_request: Request) -> Response:
        return FileResponse(stream_file, media_type="application/octet-stream")

    async def attachment(_request: Request) -> Response:
        return FileResponse(
            stream_file, filename="stream.bin", content_disposition_type="attachment"
        )

    return Starlette(
        routes=[
            Route("/", page),
            Route("/plain", plain, methods=["POST"]),
            Route("/slice/{offset}", slice_, methods=["PUT"]),
            Route("/stream", stream),
            Route("/download", attachment),
        ]
    )


def _time_appends() -> None:
    real = uploads.append

    def timed(*args: Any, **kwargs: Any) -> uploads.Upload:
        t0 = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            SERVER_PART_MS.append((time.perf_counter() - t0) * 1000)

    uploads.append = timed  # web.routes.items calls uploads.append
    waiting = getattr(uploads, "_await_offset", None)  # none before parts could wait
    if waiting is None:
        return

    def timed_wait(*args: Any, **kwargs: Any) -> uploads.Upload:
        t0 = time.perf_counter()
        try:
            return waiting(*args, **kwargs)  # type: ignore[no-any-return]
        finally:
            SERVER_WAIT_MS.append((time.perf_counter() - t0) * 1000)

    uploads._await_offset = timed_wait  # uploads.append calls it by its module name


def _arrange(tmp: Path, data_path: Path) -> dict[str, Any]:
    """A vault with a secretary and a member; the file deposited once (for the download)."""
    sock, settings, vault = new_vault(tmp)
    env = vault.env
    practice = add_practice(env, "Cabinet Bench")
    member = add_account(env, Role.MEMBER, "dr.bench", practice)
    secretary = add_account(env, Role.SECRETARY, "sophie")
    assign(env, secretary, practice)
    key = new_file_key()
    stream_path = tmp / "stream.bin"
    with data_path.open("rb") as reader, stream_path.open("wb") as writer:
        info = encrypt_stream(reader, writer, key)
    manifest = FileManifest(
        "extract.bin", "application/octet-stream", info.size, key, info.stream_hash
    )
    item_id, envelope = seal(secretary, practice, kind=ItemKind.EXTRACT, body=manifest.to_body())
    total = stream_path.stat().st_size
    up = uploads.start_upload(env, REQ, secretary.principal, practice.id, item_id, total)
    with stream_path.open("rb") as f:
        for offset in range(0, total, SLICE):
            piece = f.read(SLICE)
            uploads.append(env, REQ, secretary.principal, up.id, offset, [piece], len(piece))
    d = deposits.Deposit(
        item_id=item_id, practice_id=practice.id, envelope=envelope, upload_id=up.id
    )
    deposits.deposit(env, REQ, secretary.principal, d)
    server = start_server(create_app(vault), sock)
    bare_sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    bare_sock.bind(("127.0.0.1", 0))
    bare = start_server(_bare_app(tmp, stream_path), bare_sock)
    return {
        "servers": [server, bare],
        "vault": vault,
        "base": settings.base_url,
        "bare": f"http://127.0.0.1:{bare_sock.getsockname()[1]}",
        "practice": practice.id,
        "item": item_id,
        "secretary": session_for(env, secretary)[0],
        "member": session_for(env, member)[0],
        "stream_bytes": total,
        "manifest": manifest.to_json(),
    }


def _page(browser: Browser, base: str, token: str | None) -> Page:
    context = browser.new_context(locale="en-GB", accept_downloads=True)
    if token:
        context.add_cookies([{"name": "permanence_session", "value": token, "url": base}])
    page = context.new_page()
    page.set_default_timeout(600_000)
    if os.environ.get("BENCH_DEBUG"):
        page.on("console", lambda m: _say(f"console: {m.text}"))
        page.on("response", lambda r: _say(f"{r.status} {r.request.method} {r.url}"))
    return page


def _say(what: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {what}", file=sys.stderr, flush=True)


def _run_round(
    browser: Browser, arr: dict[str, Any], data_path: Path, turn: int = 0
) -> dict[str, Any]:
    out = _plain_round(browser, arr, data_path)
    _product_round(browser, arr, data_path, out, turn)
    return out


def _rotated(
    items: list[tuple[str, dict[str, Any]]], turn: int
) -> list[tuple[str, dict[str, Any]]]:
    """The configurations starting at another one each round: the first transfer in a fresh
    page tends to be slower, and no configuration should always be first."""
    k = turn % len(items)
    return items[k:] + items[:k]


def _plain_round(browser: Browser, arr: dict[str, Any], data_path: Path) -> dict[str, Any]:
    """The plain transfers by the same browser, against the bare endpoints."""
    out: dict[str, Any] = {}
    plain = _page(browser, arr["bare"], None)
    try:
        plain.goto(arr["bare"] + "/")
        plain.set_input_files("#file", str(data_path))
        _say("plain uploads")
        out["plain POST"] = plain.evaluate(_PLAIN_POST)
        out["plain 8 MiB slices"] = plain.evaluate(_PLAIN_SLICES, SLICE)
        _say("plain downloads")
        ms, size = plain.evaluate(_PLAIN_FETCH)
        assert size == arr["stream_bytes"], size
        out[FETCH] = ms
        t0 = time.perf_counter()
        with plain.expect_download() as info:
            plain.evaluate(_CLICK_DOWNLOAD)
        info.value.path()  # waits until the download is complete on disk
        out[OWN] = (time.perf_counter() - t0) * 1000
    finally:
        plain.context.close()
    return out


def _product_round(
    browser: Browser, arr: dict[str, Any], data_path: Path, out: dict[str, Any], turn: int
) -> None:
    """The product's upload and download, and its variants, into ``out``."""
    up = _page(browser, arr["base"], arr["secretary"])
    try:
        up.goto(f"{arr['base']}/workspace/{arr['practice']}")
        up.wait_for_selector("#deposit")
        up.set_input_files("#extract-form input[name=file]", str(data_path))
        for name, variant in _rotated([("product upload", {}), *UPLOAD_VARIANTS.items()], turn):
            _say(name)
            SERVER_PART_MS.clear()
            SERVER_WAIT_MS.clear()
            ms, stats = up.evaluate(_PRODUCT_UPLOAD, [arr["practice"], variant])
            out[name] = ms
            if name == "product upload":
                out["upload stats"] = {
                    **(stats or {}),
                    "serverMs": sum(SERVER_PART_MS) - sum(SERVER_WAIT_MS),
                    "serverWaitMs": sum(SERVER_WAIT_MS),
                    "serverParts": len(SERVER_PART_MS),
                }
    finally:
        up.context.close()

    down = _page(browser, arr["base"], arr["member"])
    try:
        down.goto(f"{arr['base']}/items/{arr['item']}")
        down.wait_for_selector("#item")
        url = f"/items/{arr['item']}/file"
        downloads = [("product download", {}), *DOWNLOAD_VARIANTS.items()]
        for name, variant in _rotated(downloads, turn):
            _say(name)
            ms, stats = down.evaluate(_PRODUCT_DOWNLOAD, [url, arr["manifest"], variant])
            out[name] = ms
            if name == "product download":
                out["download stats"] = stats or {}
        out["cores"] = down.evaluate("navigator.hardwareConcurrency")
    finally:
        down.context.close()


def _load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


WORKER_STEPS = ("readMs", "copyMs", "cryptoMs", "hashMs", "blobMs")


def _ceilings(rounds: list[dict[str, Any]], plain_up: float, plain_down: float) -> list[str]:
    """What the worker's own clock allows: the plain time over the product's secretstream
    time alone (no pipeline can beat it, since a stream's chunks depend on each other), and
    over the sum of the worker's steps (the bound when nothing runs beside the worker)."""
    lines = []
    for kind, plain, against in (
        ("upload stats", plain_up, "one plain POST"),
        ("download stats", plain_down, "plain fetch → Blob"),
    ):
        runs = [r[kind] for r in rounds if r[kind].get("cryptoMs")]
        if not runs:
            continue
        crypto = statistics.median(r["cryptoMs"] for r in runs)
        steps = statistics.median(sum(r.get(s) or 0 for s in WORKER_STEPS) for r in runs)
        direction = kind.split()[0]
        lines += [
            f"| ceiling: {direction}'s secretstream alone vs {against} |"
            f" {plain / crypto:.2f}{X} | |",
            f"| ceiling: {direction}'s worker steps in series vs {against} |"
            f" {plain / steps:.2f}{X} | |",
        ]
    return lines


def _report(rounds: list[dict[str, Any]], mib: int, loads: list[str]) -> str:
    med: Callable[[str], float] = lambda key: statistics.median(r[key] for r in rounds)  # noqa: E731
    size = mib * MIB
    lines = [
        f"{mib} MiB file, medians of {len(rounds)} rounds; Chromium {platform.machine()}, "
        f"navigator.hardwareConcurrency {rounds[0].get('cores')} (the product hashes in a "
        "second worker above 2), "
        f"load average (1, 5, 15 min) before each round: {'; '.join(loads)}.",
        "",
        "| transfer | median | MiB/s | runs (ms) |",
        "|---|---:|---:|---|",
    ]
    keys = [
        "product upload",
        *UPLOAD_VARIANTS,
        "plain POST",
        "plain 8 MiB slices",
        "product download",
        *DOWNLOAD_VARIANTS,
        FETCH,
        OWN,
    ]
    for key in keys:
        runs = ", ".join(f"{r[key]:.0f}" for r in rounds)
        lines.append(
            f"| {key} | {med(key):.0f} ms | {size / MIB / (med(key) / 1000):.0f} | {runs} |"
        )
    up = med("product upload")
    down = med("product download")
    lines += [
        "",
        "| ratio (plain time / product time) | result | goal |",
        "|---|---:|---|",
        f"| upload vs one plain POST | {med('plain POST') / up:.2f}{X} | ≥ 0.7{X} |",
        f"| upload vs plain 8 MiB slices | {med('plain 8 MiB slices') / up:.2f}{X} | ≥ 0.7{X} |",
        f"| download vs plain fetch → Blob | {med(FETCH) / down:.2f}{X} | ≥ 0.8{X} |",
        f"| download vs the browser's own download | {med(OWN) / down:.2f}{X} | |",
        *(
            f"| {name} vs one plain POST | {med('plain POST') / med(name):.2f}{X} | |"
            for name in UPLOAD_VARIANTS
        ),
        *(
            f"| {name} vs plain fetch → Blob | {med(FETCH) / med(name):.2f}{X} | |"
            for name in DOWNLOAD_VARIANTS
        ),
        *_ceilings(rounds, med("plain POST"), med(FETCH)),
        "",
        "Where the product's time goes (medians, milliseconds; the worker's steps overlap"
        " the network):",
        "",
        "| step | upload | download |",
        "|---|---:|---:|",
    ]

    def stat(kind: str, name: str) -> str:
        values = [r[kind].get(name) for r in rounds if r[kind].get(name) is not None]
        return f"{statistics.median(values):.0f}" if values else "-"

    rows = [
        ("reading (worker: awaiting the file's stream / the response body)", "readMs"),
        ("copying the pieces read into WebAssembly memory (worker)", "copyMs"),
        ("encryption / decryption (secretstream, worker)", "cryptoMs"),
        ("stream hash (BLAKE2b; download: in the second worker, beside decryption)", "hashMs"),
        ("copying parts into Blobs (worker)", "blobMs"),
        ("download: the decrypting worker waiting for the hash worker's digest", "hashWaitMs"),
        ("download: pieces copied (not moved) to the hash worker (count)", "hashCopies"),
        ("worker waiting for the sender (network-bound)", "waitMs"),
        ("page: at least one part on the wire (PUT until acknowledged)", "networkMs"),
        ("page: sender waiting for a free slot (parts in flight, network-bound)", "slotWaitMs"),
        ("page: sender waiting for the worker (CPU-bound)", "senderWaitMs"),
        ("server: uploads.append, all parts (status, write, fsync, record)", "serverMs"),
        ("server: parts that came early waiting for the previous one", "serverWaitMs"),
        ("first byte of the response", "firstByteMs"),
        ("total", "totalMs"),
    ]
    for label, name in rows:
        lines.append(f"| {label} | {stat('upload stats', name)} | {stat('download stats', name)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mib", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    _time_appends()
    with tempfile.TemporaryDirectory(prefix="bench-transfers-") as tmp_name:
        tmp = Path(tmp_name)
        data_path = tmp / "extract.bin"
        with data_path.open("wb") as f:
            for _ in range(args.mib):
                f.write(os.urandom(MIB))
        arr = _arrange(tmp, data_path)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                rounds, loads = [], []
                try:
                    _run_round(browser, arr, data_path)  # warm-up: caches, WebAssembly compile
                    for turn in range(args.runs):
                        loads.append(_load())
                        rounds.append(_run_round(browser, arr, data_path, turn))
                finally:
                    browser.close()
        finally:
            for server, thread in arr["servers"]:
                server.should_exit = True
                thread.join(timeout=20)
            arr["vault"].db.close()
    print(_report(rounds, args.mib, loads))
    print()
    print(json.dumps(rounds, indent=1, default=str))


if __name__ == "__main__":
    main()
