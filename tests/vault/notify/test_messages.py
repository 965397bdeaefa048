"""The end-of-ladder mail to the secretary says the time as pages do, capitalised."""

from __future__ import annotations

from datetime import datetime

from vault.notify import messages

AT = datetime(2026, 12, 1, 4, 43)
NBSP = "\u00a0"


def test_the_secretary_s_mail_says_the_deposit_time_as_pages_do() -> None:
    text = messages.unacknowledged_to_secretary("Cabinet du Dr Martin", AT, "https://x/i", "fr")
    assert text.subject.startswith(
        f"Permanence{NBSP}: Le message urgent déposé à 4{NBSP}h{NBSP}43 "
    )
    assert text.body.startswith(f"Le message urgent déposé à 4{NBSP}h{NBSP}43 pour")
    assert f"The urgent message deposited at 4:43{NBSP}am for" in text.body
    assert " / The urgent message deposited at 4:43" in text.subject
    assert "05:00" not in text.body and "04:43" not in text.body


def test_the_sms_keeps_plain_spaces() -> None:
    """GSM 7-bit has no no-break space: the SMS line says "4 h 43" with ordinary spaces."""
    fr = messages.unacknowledged_to_secretary("Cabinet", AT, "https://x/i", "fr").short
    en = messages.unacknowledged_to_secretary("Cabinet", AT, "https://x/i", "en").short
    assert "Le message urgent déposé à 4 h 43 pour" in fr and NBSP not in fr
    assert "The urgent message deposited at 4:43 am for" in en and NBSP not in en
