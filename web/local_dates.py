"""Times as the practice reads them: in its time zone (setting ``timezone``), written the
way the browser writes the signed call time (``formatCallTime`` in
``web/static/js/app/signedfields.js``, ``Intl.DateTimeFormat`` with ``dateStyle: "long"``,
``timeStyle: "short"``): "1 December 2026 at 23:14", "1 décembre 2026 à 23:14"."""

from __future__ import annotations

from datetime import datetime

from vault.business_hours import BusinessHours

MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
}
AT = {"en": "at", "fr": "à"}


def long_local(at: datetime, hours: BusinessHours, language: str) -> str:
    """``at`` (aware) in the practice's zone, in ``language`` (French unless "en")."""
    lang = "en" if language == "en" else "fr"
    local = hours.local(at)
    month = MONTHS[lang][local.month - 1]
    return f"{local.day} {month} {local.year} {AT[lang]} {local:%H:%M}"
