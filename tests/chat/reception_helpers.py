"""Business hours and welcome menus for the reception tests, in the company's time zone."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from chat.models import BusinessHours, Holiday, MenuOption, OpeningInterval, WelcomeMenu

SAO_PAULO = ZoneInfo("America/Sao_Paulo")  # Acme's time zone (the default), UTC-3
# Monday to Friday, 08:00-12:00 and 13:00-18:00.
OFFICE = {day: [("08:00", "12:00"), ("13:00", "18:00")] for day in range(5)}


def local(text: str, zone=SAO_PAULO) -> datetime:
    """An aware moment from "2026-12-07 08:30" read in ``zone``."""
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def make_hours(tenant, week, *, department=None, holidays=(), **fields) -> BusinessHours:
    """``week``: {weekday: [("08:00", "12:00"), ...]}; ``holidays``: [(date, yearly), ...]."""
    row = BusinessHours.objects.create(tenant=tenant, department=department, **fields)
    for weekday, spans in week.items():
        for opens, closes in spans:
            OpeningInterval.objects.create(
                tenant=tenant,
                hours=row,
                weekday=weekday,
                opens=time.fromisoformat(opens),
                closes=time.fromisoformat(closes),
            )
    for day, yearly in holidays:
        Holiday.objects.create(tenant=tenant, hours=row, date=day, yearly=yearly)
    return row


def make_menu(tenant, *departments, **fields) -> WelcomeMenu:
    """An enabled menu offering ``departments`` as 1, 2, …"""
    menu = WelcomeMenu.objects.create(tenant=tenant, enabled=True, **fields)
    for number, department in enumerate(departments, start=1):
        MenuOption.objects.create(tenant=tenant, menu=menu, number=number, department=department)
    return menu
