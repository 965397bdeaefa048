"""The delivery trail's wording: neutral (no gender agreement), one wording per purpose."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from vault.notify.trail import TrailStep
from web import i18n, rendering

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _steps(language: str) -> list[str]:
    i18n.set_language(language)
    trail = [
        TrailStep(0, "a1", "Dr Claire Martin", "email", "sent", AT, 1, "urgent"),
        TrailStep(0, "a1", "Dr Claire Martin", "email", "retried", AT, 3, "urgent"),
        TrailStep(3, "a1", "Dr Claire Martin", "email", "sent", AT, 1, "unacknowledged"),
        TrailStep(3, "", "webhook", "webhook", "sent", AT, 1, "acknowledged"),
    ]
    html = rendering._env.from_string(
        '{% from "_partials/delivery_trail.html" import delivery_trail %}'
        "{{ delivery_trail(trail, day, 'h') }}"
    ).render(trail=trail, day=AT)
    return [
        re.sub(r"<[^>]+>", "", s).split(" · ")[0]
        for s in re.findall(r"<li [^>]*>(.*?)</li>", html, re.S)
    ]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            [
                "Notification envoyée",
                "Notification envoyée (après de nouveaux essais)",
                "Relance envoyée\u00a0: toujours pas pris en charge",
                "Avis de prise en charge envoyé",
            ],
        ),
        (
            "en",
            [
                "Notification sent",
                "Notification sent (after retries)",
                "Reminder sent: still not acknowledged",
                "Acknowledgement notice sent",
            ],
        ),
    ],
)
def test_each_step_is_worded_without_gender_and_by_its_purpose(
    language: str, expected: list[str]
) -> None:
    try:
        assert _steps(language) == expected
    finally:
        i18n.set_language(i18n.DEFAULT)
