"""Business hours (setting ``business_hours`` in ``timezone``): when accesses are expected.

``"Mon-Fri 08:00-19:00"``, ``"Mon,Wed,Fri 09:00-12:30"``, ``"Mon-Sun 00:00-24:00"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vault.errors import ConfigError

if TYPE_CHECKING:  # settings parse business hours when they are built: no import cycle
    from vault.settings import Settings

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPEC = re.compile(r"^\s*([A-Za-z,\-]+)\s+(\d\d):(\d\d)-(\d\d):(\d\d)\s*$")


@dataclass(frozen=True, slots=True)
class BusinessHours:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time | None  # None: until midnight
    zone: ZoneInfo

    @classmethod
    def parse(cls, spec: str, timezone: str) -> BusinessHours:
        match = _SPEC.match(spec)
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ConfigError(f"setting timezone: unknown time zone {timezone!r}") from None
        if match is None:
            raise ConfigError("setting business_hours must look like 'Mon-Fri 08:00-19:00'")
        days: set[int] = set()
        for part in match.group(1).lower().split(","):
            first, _, last = part.partition("-")
            if first not in DAYS or (last and last not in DAYS):
                raise ConfigError("setting business_hours: days are Mon, Tue ... Sun")
            a, b = DAYS.index(first), DAYS.index(last or first)
            days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        h1, m1, h2, m2 = (int(match.group(i)) for i in range(2, 6))
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2) or (h1, m1) >= (h2, m2):
            raise ConfigError("setting business_hours: the hours must be a range within a day")
        end = None if h2 == 24 else time(h2, m2)
        return cls(frozenset(days), time(h1, m1), end, zone)

    @classmethod
    def of(cls, settings: Settings) -> BusinessHours:
        """The deployment's business hours, parsed once when its settings were built."""
        return settings.hours

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone)

    def contains(self, at: datetime) -> bool:
        """Whether ``at`` (aware) falls inside business hours, in the configured zone."""
        local = self.local(at)
        t = local.time().replace(tzinfo=None)
        return (
            local.weekday() in self.days and t >= self.start and (self.end is None or t < self.end)
        )

    def hour_open(self, weekday: int, hour: int) -> bool:
        """Whether the whole hour ``hour`` of ``weekday`` is inside business hours (for charts)."""
        if weekday not in self.days:
            return False
        end = 24 * 60 if self.end is None else self.end.hour * 60 + self.end.minute
        start = self.start.hour * 60 + self.start.minute
        return start <= hour * 60 and (hour + 1) * 60 <= end
