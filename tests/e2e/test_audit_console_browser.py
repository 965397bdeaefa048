"""The auditor's console in real Chromium against a live server (issue 7's acceptance test).

An auditor signs in, filters the log, opens an entry and its proof, cosigns the
latest checkpoint with a key made by the command line, runs "verify now" and
exports a bundle that ``permanence audit verify --bundle`` accepts in a
separate process. Then one entry is altered in the database, behind the
triggers' back, and "verify now" names its index.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Browser, expect

from audit.entry import Action, Actor, AuditEntry, Outcome
from tests.e2e.accounts_pages import assert_clean, open_tab, submit_login
from tests.e2e.conftest import LiveVault
from tests.people import enrol
from vault.auditing.checkpoints import Checkpointing, load_signer
from vault.identity.roles import Role

SLOW_MS = 60_000


def permanence(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command line, in its own process, with no data directory: offline."""
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _arrange(vault: LiveVault) -> None:
    """Failed sign-ins by two names, and a signed checkpoint covering them."""
    env = vault.env
    for name in ("mallory", "mallory", "mallory", "eve"):
        env.db.write(
            lambda c, name=name: env.log.append(  # type: ignore[misc]
                c,
                AuditEntry.new(Action.LOGIN_FAILED, actor=Actor(name=name), outcome=Outcome.DENIED),
            )
        )
    Checkpointing.for_settings(vault.settings).issue_now(env)


def _alter(vault: LiveVault, index: int) -> None:
    """What an operator with the database key could do: drop the guard, rewrite one leaf."""

    def tx(conn: object) -> None:
        leaf = bytes(
            conn.execute(  # type: ignore[attr-defined]
                "SELECT leaf FROM audit_entries WHERE idx = ?", (index,)
            ).fetchone()[0]
        )
        assert b'"mallory"' in leaf
        conn.execute("DROP TRIGGER audit_entries_no_update")  # type: ignore[attr-defined]
        conn.execute(  # type: ignore[attr-defined]
            "UPDATE audit_entries SET leaf = ? WHERE idx = ?",
            (leaf.replace(b'"mallory"', b'"someone"'), index),
        )

    vault.env.db.write(tx)


def test_auditor_filters_opens_verifies_exports_and_catches_an_alteration(
    live_vault: LiveVault, chromium: Browser, tmp_path: Path
) -> None:
    auditor = enrol(live_vault.env, Role.AUDITOR, "auditor")
    _arrange(live_vault)
    verifier = load_signer(live_vault.settings).verifier
    pinned = tmp_path / "permanence.pub"
    pinned.write_text(str(verifier) + "\n")
    repo = Path(__file__).resolve().parents[2]

    with open_tab(chromium) as tab:
        page = tab.page
        submit_login(tab, live_vault.base_url, auditor.username, auditor.password, auditor.code())
        page.wait_for_url("**/audit", timeout=SLOW_MS)
        assert_clean(tab)

        # Filter: mallory's failed sign-ins only.
        page.fill("[data-filters] [name=account]", "mallory")
        page.select_option("[data-filters] [name=action]", "login.failed")
        page.click("[data-filters] button[type=submit]")
        expect(page).to_have_url(re.compile(r"account=mallory"))
        rows = page.locator("[data-entries] tbody tr[data-entry]")
        expect(rows).to_have_count(3)
        first = int(rows.first.get_attribute("data-entry") or "-1")
        assert "eve" not in page.locator("[data-entries]").inner_text()

        # Open the entry: its recorded bytes and a proof that leads to the root.
        rows.first.locator("a").click()
        page.wait_for_url(f"**/audit/entries/{first}")
        expect(page.locator("[data-proof]")).to_have_attribute("data-proof", "ok")
        assert '"mallory"' in page.locator("[data-leaf]").inner_text()
        assert_clean(tab)
        page.goto(live_vault.base_url + "/audit")

        # Cosign the latest checkpoint with a key made by the command line, offline.
        key = tmp_path / "auditor.key"
        made = permanence(
            "audit", "keygen", "--name", "auditor.example", "--out", str(key), cwd=repo
        )
        assert made.returncode == 0, made.stderr
        note_file = tmp_path / "checkpoint.txt"
        note_file.write_text(page.locator("[data-checkpoint-note]").inner_text())
        cosigned = permanence(
            "audit", "cosign-note", "--key", str(key), "--note", str(note_file), cwd=repo
        )
        assert cosigned.returncode == 0, cosigned.stderr
        public = made.stdout.strip().splitlines()[-1]
        page.click("details:has([data-cosign]) > summary")
        page.fill("[data-cosign] [name=verifier_key]", public)
        page.fill("[data-cosign] [name=note]", cosigned.stdout)
        page.click("[data-cosign] button[type=submit]")
        expect(page.locator('#checkpoint [data-signature="valid"]')).to_have_count(2)

        # Verify now: progress, then success.
        page.click("[data-verify-start] button")
        expect(page.locator("[data-verify=ok]")).to_be_visible(timeout=SLOW_MS)

        # Export with a fresh code; the download verifies in another process.
        page.fill("[data-export] [name=code]", auditor.code())
        page.click("[data-export] button[type=submit]")
        link = page.locator("[data-export-link]")
        expect(link).to_be_visible()
        with page.expect_download() as download_info:
            link.click()
        bundle = tmp_path / "bundle.json"
        download_info.value.save_as(bundle)
        checked = permanence(
            "audit", "verify", "--bundle", str(bundle), "--verifier-key", str(pinned), cwd=repo
        )
        assert checked.returncode == 0, checked.stderr
        assert_clean(tab)

        # Someone rewrites mallory's first failed sign-in; "verify now" names it.
        _alter(live_vault, first)
        page.reload()
        page.click("[data-verify-start] button")
        failed = page.locator("[data-verify=failed]")
        expect(failed).to_be_visible(timeout=SLOW_MS)
        expect(failed).to_have_attribute("data-bad-index", str(first))
        assert str(first) in failed.inner_text()
        assert_clean(tab)

    # The failed verification itself is on the record, naming the index.
    last = live_vault.env.db.read(live_vault.env.log.size) - 1
    entry = live_vault.env.db.read(lambda c: live_vault.env.log.entry(c, last)).entry
    assert entry.action == "audit.verified" and entry.outcome == "failed"
    assert entry.detail["first_bad_index"] == first
