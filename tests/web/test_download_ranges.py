"""A download is the whole file, whatever the Range header: the audit entry committed before
the first byte says ``item.downloaded`` with the file's full size, so that is what leaves
(``bytes=5-1`` used to get a plain-text 400, and ``bytes=0-10`` a 206 of 11 bytes, after
the entry was committed)."""

from __future__ import annotations

import pytest

from audit.entry import Action
from audit.log import AuditLog
from crypto.envelope import ItemKind
from tests.factories import encrypted_file
from tests.web.test_items_web import Clients, _deposit_json, _upload, clients  # noqa: F401
from vault.storage.store import Connection


@pytest.mark.parametrize(
    "headers",
    [
        {"range": "bytes=5-1"},
        {"range": "bytes=0-10"},
        {"range": "bytes=0-10,20-30"},
        {"range": "bytes=-5"},
        {"range": "bytes=99999999-"},
        {"range": "lines=1-2"},
        {"range": "bytes=0-10", "if-range": '"anything"'},
    ],
)
def test_a_range_header_still_gets_the_whole_file(
    clients: Clients,  # noqa: F811
    headers: dict[str, str],
) -> None:
    w = clients.world
    stream, manifest = encrypted_file(b"a;b;c\n" * 20)
    iid, body = _deposit_json(w, kind=ItemKind.EXTRACT, body=manifest.to_body())
    upload_id = _upload(clients.as_(w.secretary), w, iid, stream)
    assert clients.as_(w.secretary).post("/items", json={**body, "upload_id": upload_id}).is_success
    r = clients.as_(w.member).get(f"/items/{iid}/file", headers=headers)
    assert r.status_code == 200, r.text
    assert r.content == stream
    assert "content-range" not in r.headers
    assert r.headers["accept-ranges"] == "none"

    def downloads(conn: Connection) -> list[object]:
        log = AuditLog()
        entries = [log.entry(conn, i).entry for i in range(log.size(conn))]
        return [e.detail["size"] for e in entries if e.action == Action.ITEM_DOWNLOADED]

    assert w.env.db.read(downloads) == [len(stream)]
