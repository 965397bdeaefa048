"""Anonymous ``POST /recover/start`` is throttled per source address, and a throttled call
writes nothing (each call used to store a challenge: 3,000 calls in 3.3 s, ~900 forced
commits a second competing with deposits)."""

from __future__ import annotations

from tests.web.test_recovery_web import Site, site  # noqa: F401 - the fixture is reused
from vault.env import Env
from vault.identity import throttle


def _rows(env: Env) -> tuple[int, int]:
    return env.db.read(
        lambda c: (
            c.execute("SELECT count(*) FROM recovery_challenge").fetchone()[0],
            c.execute("SELECT count(*) FROM login_failure").fetchone()[0],
        )
    )


def test_recovery_starts_are_throttled_per_address_without_a_write(site: Site) -> None:  # noqa: F811
    free = 5  # throttle.RECOVERY_LIMIT.delay_from, checked at the end
    for i in range(free):
        name = "doctor" if i % 2 else f"ghost{i}"
        assert site.client.post("/recover/start", json={"username": name}).status_code == 200
    before = _rows(site.env)
    known = site.client.post("/recover/start", json={"username": "doctor"})
    unknown = site.client.post("/recover/start", json={"username": "nobody-at-all"})
    # The same refusal for a name that exists and one that does not.
    assert known.status_code == unknown.status_code == 429
    assert known.json() == unknown.json()
    assert known.headers["retry-after"] == unknown.headers["retry-after"]
    for _ in range(20):
        assert site.client.post("/recover/start", json={"username": "doctor"}).status_code == 429
    assert _rows(site.env) == before  # no challenge, no counted failure: nothing written
    site.clock.advance(seconds=int(known.headers["retry-after"]))
    assert site.client.post("/recover/start", json={"username": "doctor"}).status_code == 200
    assert throttle.RECOVERY_LIMIT.delay_from == free
