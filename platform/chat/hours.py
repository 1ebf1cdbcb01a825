"""Business hours: whether a department (or the company) is open at a moment, and when it opens.

The weekly intervals and holidays are read once into a ``Schedule`` and the arithmetic is done
in the company's time zone. An interval belongs to the day it starts on: a holiday cancels the
intervals starting that day, and 22:00-02:00 on Friday runs into Saturday's early hours.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q

from chat.models import BusinessHours

# How far ahead to look for the next opening; a schedule with none in this window never opens.
HORIZON = timedelta(days=370)


@dataclass(frozen=True)
class Schedule:
    hours: BusinessHours  # the row that applies (its reply text and follow-up setting)
    zone: zoneinfo.ZoneInfo
    week: dict[int, tuple[tuple[time, time], ...]]
    dates: frozenset[date]
    yearly: frozenset[tuple[int, int]]  # (month, day)

    def is_holiday(self, day: date) -> bool:
        return day in self.dates or (day.month, day.day) in self.yearly

    def spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open spans of the intervals starting on local ``day``, as aware datetimes."""
        if self.is_holiday(day):
            return []
        spans = []
        for opens, closes in self.week.get(day.weekday(), ()):
            ends_on = day if closes > opens else day + timedelta(days=1)
            spans.append(
                (
                    datetime.combine(day, opens, self.zone),
                    datetime.combine(ends_on, closes, self.zone),
                )
            )
        return spans

    def is_open(self, moment: datetime) -> bool:
        today = moment.astimezone(self.zone).date()
        # Yesterday's overnight intervals may still be open.
        for day in (today - timedelta(days=1), today):
            if any(start <= moment < end for start, end in self.spans(day)):
                return True
        return False

    def next_opening(self, moment: datetime) -> datetime | None:
        """The first opening after ``moment`` (None if there is none within HORIZON)."""
        day = moment.astimezone(self.zone).date()
        for offset in range(HORIZON.days):
            starts = [start for start, _end in self.spans(day + timedelta(days=offset))]
            later = [start for start in starts if start > moment]
            if later:
                return min(later)
        return None


def _schedule(row: BusinessHours, timezone_name: str, extra_holidays=()) -> Schedule:
    week: dict[int, list[tuple[time, time]]] = {}
    for interval in row.intervals.all():
        week.setdefault(interval.weekday, []).append((interval.opens, interval.closes))
    holidays = [*row.holidays.all(), *extra_holidays]
    return Schedule(
        hours=row,
        zone=zoneinfo.ZoneInfo(timezone_name),
        week={day: tuple(sorted(spans)) for day, spans in week.items()},
        dates=frozenset(h.date for h in holidays if not h.yearly),
        yearly=frozenset((h.date.month, h.date.day) for h in holidays if h.yearly),
    )


def schedule_for(tenant, department_id=None) -> Schedule | None:
    """The schedule that applies to ``department_id`` (None: the Inbox): the department's own
    hours if it has them, else the company's; None when neither exists (always open)."""
    rows = {
        row.department_id: row
        for row in BusinessHours.objects.for_tenant(tenant)
        .filter(Q(department__isnull=True) | Q(department_id=department_id))
        .prefetch_related("intervals", "holidays")
    }
    company = rows.get(None)
    own = rows.get(department_id) if department_id else None
    if own is None:
        return _schedule(company, tenant.timezone) if company else None
    shared = company.holidays.all() if company and own.company_holidays else ()
    return _schedule(own, tenant.timezone, shared)
