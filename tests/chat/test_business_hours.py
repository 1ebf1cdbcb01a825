"""Whether a company or a department is open: weekly intervals (several a day, past midnight),
holidays (once or every year), the company's time zone, and a department's own hours."""

from datetime import date

import pytest

from chat import hours
from tests.chat.reception_helpers import OFFICE, local, make_hours

pytestmark = pytest.mark.django_db

# 2026-12-07 is a Monday.


@pytest.fixture
def office(cast):
    make_hours(cast.acme, OFFICE)
    return hours.schedule_for(cast.acme)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        ("2026-12-07 07:59", False),
        ("2026-12-07 08:00", True),
        ("2026-12-07 11:59", True),
        ("2026-12-07 12:00", False),  # lunch: between two intervals of the day
        ("2026-12-07 12:30", False),
        ("2026-12-07 13:00", True),
        ("2026-12-07 18:00", False),
        ("2026-12-12 10:00", False),  # Saturday
        ("2026-12-13 10:00", False),  # Sunday
    ],
)
def test_open_inside_the_days_intervals_only(office, moment, is_open):
    assert office.is_open(local(moment)) is is_open


def test_the_company_time_zone_decides(cast, office):
    # 10:30 UTC is 07:30 in São Paulo (closed), 11:30 UTC is 08:30 (open).
    assert not office.is_open(local("2026-12-07 10:30", hours.zoneinfo.ZoneInfo("UTC")))
    assert office.is_open(local("2026-12-07 11:30", hours.zoneinfo.ZoneInfo("UTC")))
    cast.acme.timezone = "Asia/Tokyo"
    cast.acme.save()
    tokyo = hours.schedule_for(cast.acme)
    # 23:30 UTC on Sunday is 08:30 on Monday in Tokyo.
    assert tokyo.is_open(local("2026-12-06 23:30", hours.zoneinfo.ZoneInfo("UTC")))
    assert not office.is_open(local("2026-12-06 23:30", hours.zoneinfo.ZoneInfo("UTC")))


def test_a_holiday_closes_the_whole_day(cast):
    make_hours(cast.acme, OFFICE, holidays=[(date(2026, 12, 8), False)])
    schedule = hours.schedule_for(cast.acme)
    assert not schedule.is_open(local("2026-12-08 10:00"))
    assert schedule.is_open(local("2026-12-09 10:00"))


def test_a_yearly_holiday_comes_back_and_a_one_off_does_not(cast):
    make_hours(
        cast.acme, OFFICE, holidays=[(date(2025, 12, 25), True), (date(2025, 12, 24), False)]
    )
    schedule = hours.schedule_for(cast.acme)
    assert not schedule.is_open(local("2026-12-25 10:00"))  # a Friday, every year
    assert schedule.is_open(local("2026-12-24 10:00"))  # only in 2025


def test_an_interval_past_midnight_stays_open_into_the_next_day(cast):
    # Friday 22:00 to 02:00; Saturday is a holiday, which cancels only Saturday's own intervals.
    make_hours(cast.acme, {4: [("22:00", "02:00")]}, holidays=[(date(2026, 12, 12), False)])
    schedule = hours.schedule_for(cast.acme)
    assert not schedule.is_open(local("2026-12-11 21:59"))
    assert schedule.is_open(local("2026-12-11 23:30"))
    assert schedule.is_open(local("2026-12-12 01:59"))
    assert not schedule.is_open(local("2026-12-12 02:00"))


def test_a_day_ending_at_midnight(cast):
    make_hours(cast.acme, {0: [("18:00", "00:00")]})
    schedule = hours.schedule_for(cast.acme)
    assert schedule.is_open(local("2026-12-07 23:59"))
    assert not schedule.is_open(local("2026-12-08 00:00"))


@pytest.mark.parametrize(
    ("moment", "opening"),
    [
        ("2026-12-07 12:30", "2026-12-07 13:00"),  # after lunch
        ("2026-12-07 18:30", "2026-12-08 08:00"),  # the next morning
        ("2026-12-11 18:30", "2026-12-14 08:00"),  # Friday evening: Monday
    ],
)
def test_the_next_opening(office, moment, opening):
    assert office.next_opening(local(moment)) == local(opening)


def test_the_next_opening_skips_holidays(cast):
    make_hours(cast.acme, OFFICE, holidays=[(date(2026, 12, 14), False)])
    schedule = hours.schedule_for(cast.acme)
    assert schedule.next_opening(local("2026-12-11 18:30")) == local("2026-12-15 08:00")


def test_hours_without_intervals_never_open(cast):
    make_hours(cast.acme, {})
    schedule = hours.schedule_for(cast.acme)
    assert not schedule.is_open(local("2026-12-07 10:00"))
    assert schedule.next_opening(local("2026-12-07 10:00")) is None


def test_no_hours_means_always_open(cast):
    assert hours.schedule_for(cast.acme) is None


def test_a_department_with_hours_of_its_own_follows_them(cast):
    sales = cast.departments[("acme", "Sales")]
    support = cast.departments[("acme", "Support")]
    make_hours(cast.acme, OFFICE)
    make_hours(cast.acme, {5: [("09:00", "13:00")]}, department=support)
    saturday = local("2026-12-12 10:00")
    assert hours.schedule_for(cast.acme, support.pk).is_open(saturday)
    assert not hours.schedule_for(cast.acme, support.pk).is_open(local("2026-12-07 10:00"))
    assert not hours.schedule_for(cast.acme, sales.pk).is_open(saturday)  # the company's
    assert hours.schedule_for(cast.acme, sales.pk).is_open(local("2026-12-07 10:00"))


def test_the_company_holidays_reach_a_department_unless_it_opts_out(cast):
    sales = cast.departments[("acme", "Sales")]
    support = cast.departments[("acme", "Support")]
    make_hours(cast.acme, OFFICE, holidays=[(date(2026, 12, 8), False)])
    make_hours(cast.acme, OFFICE, department=sales)
    make_hours(cast.acme, OFFICE, department=support, company_holidays=False)
    holiday = local("2026-12-08 10:00")
    assert not hours.schedule_for(cast.acme, sales.pk).is_open(holiday)
    assert hours.schedule_for(cast.acme, support.pk).is_open(holiday)


def test_another_companys_hours_do_not_apply(cast):
    make_hours(cast.globex, {})  # Globex never opens
    assert hours.schedule_for(cast.acme) is None
