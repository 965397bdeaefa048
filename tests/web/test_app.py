"""The web skeleton: pages, languages, errors, health."""

from __future__ import annotations

from starlette.testclient import TestClient


def test_login_page_renders_in_french_by_default(client: TestClient) -> None:
    """Without any preference the login page is French."""
    r = client.get("/login")
    assert r.status_code == 200
    assert '<html lang="fr">' in r.text
    assert "Connexion" in r.text


def test_accept_language_english_gives_english(client: TestClient) -> None:
    """A browser asking for English first gets English."""
    r = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert '<html lang="en">' in r.text
    assert "Sign in" in r.text


def test_user_choice_beats_accept_language(client: TestClient) -> None:
    """Choosing English sets a cookie that wins over a French browser."""
    r = client.get("/language/en?next=/login", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert "samesite=strict" in r.headers["set-cookie"].lower()
    page = client.get("/login", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in page.text


def test_language_switch_is_not_an_open_redirect(client: TestClient) -> None:
    """next= pointing elsewhere falls back to the start page."""
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        r = client.get("/language/fr", params={"next": target}, follow_redirects=False)
        assert r.headers["location"] == "/"


def test_not_found_page_in_both_languages(client: TestClient) -> None:
    """404 is a page a person understands, in French or English."""
    fr = client.get("/nowhere")
    en = client.get("/nowhere", headers={"Accept-Language": "en"})
    assert fr.status_code == en.status_code == 404
    assert "Page introuvable" in fr.text
    assert "Page not found" in en.text


def test_wrong_method_is_a_clear_405(client: TestClient) -> None:
    """A DELETE on a page is refused with a 405 page, not a stack trace."""
    r = client.delete("/login", headers={"Accept-Language": "en"})
    assert r.status_code == 405
    assert "does not accept this kind of request" in r.text


def test_htmx_request_gets_the_partial(client: TestClient) -> None:
    """With HX-Request the same route answers with its fragment only, and says it varies."""
    full = client.get("/login")
    part = client.get("/login", headers={"HX-Request": "true"})
    assert "<html" in full.text and "<html" not in part.text
    assert "<form" in part.text
    assert "HX-Request" in part.headers["vary"]


def test_security_headers_on_every_response(client: TestClient) -> None:
    """Pages, errors, redirects and static files all carry the security headers."""
    for path in ("/login", "/nowhere", "/", "/static/css/app.css", "/health"):
        r = client.get(path, follow_redirects=False)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self' 'wasm-unsafe-eval'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in r.headers  # plain HTTP here


def test_no_inline_script_or_style_in_pages(client: TestClient) -> None:
    """Pages load scripts and styles from files only (the CSP would block inline ones)."""
    import re

    for path in ("/login", "/nowhere"):
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
        assert "<style" not in html and " style=" not in html
        assert not re.search(r"\son[a-z]+=", html)


def test_health_reports_database_and_writer(client: TestClient) -> None:
    """/health answers ok when the database reads and the writer runs."""
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "writer": "ok"}


def test_health_reports_a_stopped_writer(client: TestClient) -> None:
    """When the writer has stopped, /health says so with 503 (so a probe can restart us)."""
    client.app.state.vault.db.writer.close()  # type: ignore[attr-defined]
    r = client.get("/health")
    assert r.status_code == 503
    assert r.json()["writer"] == "stopped"
