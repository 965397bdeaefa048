"""Static files: pages name them under a content fingerprint, answered as immutable."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

from vault.opening import Vault
from web.app import create_app
from web.rendering import STATIC_DIR
from web.static_files import tree_fingerprint

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
STATIC_URL = re.compile(r'(?:src|href)="(/static/[^"]+)"')


def _static_urls(html: str) -> list[str]:
    return STATIC_URL.findall(html)


def test_pages_name_static_files_under_the_fingerprint(client: TestClient) -> None:
    """Every script and style of a page is under /static/<fingerprint>/, served immutable
    with the same bytes as the plain URL, which is revalidated instead."""
    fingerprint = tree_fingerprint(STATIC_DIR)
    page = client.get("/login")
    assert page.headers["cache-control"] == "no-store"  # the HTML itself is never cached
    urls = _static_urls(page.text)
    assert len(urls) >= 3
    for url in urls:
        assert url.startswith(f"/static/{fingerprint}/"), url
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        plain = client.get(url.replace(f"/{fingerprint}", "", 1))
        assert plain.content == answer.content
        assert plain.headers["cache-control"] == "no-cache"


def test_a_plain_url_revalidates_with_its_etag(client: TestClient) -> None:
    """Without the fingerprint, a file is asked again each time and answered 304 if unchanged."""
    first = client.get("/static/css/app.css")
    again = client.get("/static/css/app.css", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["cache-control"] == "no-cache"


def test_another_fingerprint_is_not_found(client: TestClient) -> None:
    """An old release's URL is a 404, never cached for a year with this release's bytes."""
    assert client.get("/static/0123456789abcdef/css/app.css").status_code == 404


def test_the_fingerprint_follows_names_and_contents(tmp_path: Path) -> None:
    """Changing a byte or a name changes the fingerprint; the same tree gives the same one."""
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "a.js").write_text("export const a = 1;\n")
    first = tree_fingerprint(tmp_path)
    assert tree_fingerprint(tmp_path) == first
    (tmp_path / "js" / "a.js").write_text("export const a = 2;\n")
    second = tree_fingerprint(tmp_path)
    assert second != first
    (tmp_path / "js" / "a.js").rename(tmp_path / "js" / "b.js")
    assert tree_fingerprint(tmp_path) not in (first, second)


def test_every_template_names_static_files_through_static() -> None:
    """A literal "/static/..." in a template would be neither fingerprinted nor cached."""
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {url}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for url in re.findall(r'"/static/[^"]*"', path.read_text())
    ]
    assert offenders == []


def test_without_fingerprints_pages_use_plain_no_store_urls(vault: Vault) -> None:
    """The former behaviour, kept as the benchmarks' baseline: plain URLs, no-store."""
    with TestClient(create_app(vault, fingerprinted_static=False)) as plain:
        urls = _static_urls(plain.get("/login").text)
        assert urls and all(not re.match(r"/static/[0-9a-f]{16}/", u) for u in urls)
        assert plain.get(urls[0]).headers["cache-control"] == "no-store"
