"""The reception's admin pages: administrators set the company's hours, holidays and welcome
menu; managers their departments' hours only; agents none; another company's rows answer 404;
follow-ups are seen and settled by the department."""

from html import unescape

import pytest

from chat.models import BusinessHours, FollowUp, MenuOption, WelcomeMenu
from tests.admin.walk import admin_url, form_data, read_form
from tests.chat.conftest import make_conversation, make_line
from tests.chat.reception_helpers import OFFICE, make_hours, make_menu

pytestmark = pytest.mark.django_db

MONDAY_MORNING = {
    "intervals-0-weekday": 0,
    "intervals-0-opens": "08:00",
    "intervals-0-closes": "12:00",
    "intervals-1-weekday": 0,
    "intervals-1-opens": "13:00",
    "intervals-1-closes": "18:00",
}


def post_add(client, model, **fields):
    url = admin_url(model, "add")
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, form_data(read_form(page), **fields))


def page_text(response) -> str:
    return unescape(response.content.decode())


def errors(response) -> list:
    """The form's and the inlines' errors on a re-rendered page (for assertion messages)."""
    context = response.context or {}
    found = [context["adminform"].form.errors] if "adminform" in context else []
    for inline in context.get("inline_admin_formsets", []):
        found += [inline.formset.errors, inline.formset.non_form_errors()]
    return [error for error in found if error]


def test_an_admin_sets_the_company_hours_with_intervals_and_holidays(cast, login):
    response = post_add(
        login(cast.ana),
        BusinessHours,
        after_hours_reply="Fechados! Abrimos às 8h.",
        create_follow_up="on",
        **MONDAY_MORNING,
        **{
            # The inline's "add another" row, as the page's script adds it.
            "holidays-TOTAL_FORMS": 1,
            "holidays-0-date": "2026-12-25",
            "holidays-0-name": "Natal",
            "holidays-0-yearly": "on",
        },
    )
    assert response.status_code == 302, errors(response)
    row = BusinessHours.objects.get()
    assert (row.tenant, row.department, row.create_follow_up) == (cast.acme, None, True)
    assert row.after_hours_reply == "Fechados! Abrimos às 8h."
    assert [str(i) for i in row.intervals.all()] == ["Monday 08:00-12:00", "Monday 13:00-18:00"]
    assert {i.tenant for i in row.intervals.all()} == {cast.acme}
    [holiday] = row.holidays.all()
    assert (holiday.name, holiday.yearly, holiday.tenant) == ("Natal", True, cast.acme)


def test_an_empty_interval_is_refused_and_nothing_is_saved(cast, login):
    response = post_add(
        login(cast.ana),
        BusinessHours,
        **{"intervals-0-weekday": 0, "intervals-0-opens": "08:00", "intervals-0-closes": "08:00"},
    )
    assert response.status_code == 200
    assert "Opening and closing times must differ." in page_text(response)
    assert not BusinessHours.objects.exists()


def test_the_company_has_one_set_of_hours(cast, login):
    make_hours(cast.acme, OFFICE)
    response = post_add(login(cast.ana), BusinessHours)
    assert response.status_code == 200
    assert "These business hours already exist." in page_text(response)
    assert BusinessHours.objects.count() == 1


def test_another_companys_admin_cannot_see_or_edit_acmes_hours(cast, login):
    acme_hours = make_hours(cast.acme, OFFICE, after_hours_reply="Acme-only reply")
    client = login(cast.gabriel)
    listing = client.get(admin_url(BusinessHours, "changelist"))
    assert listing.status_code == 200
    assert "Acme-only reply" not in page_text(listing) and "Monday 08:00" not in page_text(listing)
    url = admin_url(BusinessHours, "change", acme_hours)
    assert client.get(url).status_code == 404
    assert client.post(url, {"after_hours_reply": "hacked"}).status_code == 404
    acme_hours.refresh_from_db()
    assert acme_hours.after_hours_reply == "Acme-only reply"


def test_an_agent_cannot_edit_hours_or_the_menu(cast, login):
    client = login(cast.alice)
    for model in (BusinessHours, WelcomeMenu):
        assert client.get(admin_url(model, "changelist")).status_code == 403
        assert client.get(admin_url(model, "add")).status_code == 403
        assert client.post(admin_url(model, "add"), {}).status_code == 403
    assert not BusinessHours.objects.exists() and not WelcomeMenu.objects.exists()


def test_a_manager_sets_the_hours_of_his_department(cast, login):
    sales = cast.departments[("acme", "Sales")]
    response = post_add(login(cast.marcos), BusinessHours, department=sales.pk, **MONDAY_MORNING)
    assert response.status_code == 302, errors(response)
    assert BusinessHours.objects.get().department == sales


def test_a_manager_cannot_set_the_company_hours_or_another_departments(cast, login):
    client = login(cast.marcos)
    support = cast.departments[("acme", "Support")]
    response = post_add(client, BusinessHours, department="")
    assert "Choose one of your departments." in page_text(response)
    response = post_add(client, BusinessHours, department=support.pk)
    assert response.status_code == 200
    assert "Select a valid choice" in page_text(response)
    assert not BusinessHours.objects.exists()
    company = make_hours(cast.acme, OFFICE)
    assert client.get(admin_url(BusinessHours, "change", company)).status_code == 404


def test_an_admin_builds_the_welcome_menu(cast, login):
    sales = cast.departments[("acme", "Sales")]
    support = cast.departments[("acme", "Support")]
    response = post_add(
        login(cast.ana),
        WelcomeMenu,
        enabled="on",
        greeting="Bem-vindo!",
        **{
            "options-0-number": 1,
            "options-0-department": sales.pk,
            "options-1-number": 2,
            "options-1-department": support.pk,
            "options-1-label": "Ajuda",
        },
    )
    assert response.status_code == 302, errors(response)
    menu = WelcomeMenu.objects.get()
    assert (menu.tenant, menu.enabled, menu.greeting) == (cast.acme, True, "Bem-vindo!")
    assert [str(o) for o in menu.options.all()] == ["1. Sales", "2. Ajuda"]
    page = login(cast.ana).get(admin_url(WelcomeMenu, "change", menu))
    assert "Bem-vindo!\n\n1 - Sales\n2 - Ajuda" in page_text(page)  # the preview


def test_the_menu_offers_only_the_companys_departments(cast, login):
    globex_support = cast.departments[("globex", "Support")]
    response = post_add(
        login(cast.ana),
        WelcomeMenu,
        **{"options-0-number": 1, "options-0-department": globex_support.pk},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in page_text(response)
    assert not MenuOption.objects.exists()


def test_a_duplicate_number_is_a_form_error(cast, login):
    sales = cast.departments[("acme", "Sales")]
    support = cast.departments[("acme", "Support")]
    response = post_add(
        login(cast.ana),
        WelcomeMenu,
        **{
            "options-0-number": 1,
            "options-0-department": sales.pk,
            "options-1-number": 1,
            "options-1-department": support.pk,
        },
    )
    assert response.status_code == 200
    assert not WelcomeMenu.objects.exists()


def test_one_menu_per_company_and_none_of_anothers(cast, login):
    menu = make_menu(cast.acme, cast.departments[("acme", "Sales")], greeting="Acme greeting")
    assert login(cast.ana).get(admin_url(WelcomeMenu, "add")).status_code == 403
    client = login(cast.gabriel)
    assert client.get(admin_url(WelcomeMenu, "add")).status_code == 200
    assert client.get(admin_url(WelcomeMenu, "change", menu)).status_code == 404
    assert "Acme greeting" not in page_text(client.get(admin_url(WelcomeMenu, "changelist")))
    assert login(cast.marcos).get(admin_url(WelcomeMenu, "changelist")).status_code == 403


@pytest.fixture
def follow_ups(cast):
    line = make_line(cast.acme, "Acme-line")
    sales = cast.departments[("acme", "Sales")]
    support = cast.departments[("acme", "Support")]
    return {
        name: FollowUp.objects.create(
            tenant=cast.acme,
            conversation=make_conversation(line, number, department=department),
            department=department,
            note=f"{name} follow-up",
        )
        for name, number, department in [
            ("sales", "5511911110001", sales),
            ("support", "5511911110002", support),
        ]
    }


def test_an_agent_sees_and_settles_her_departments_follow_ups(cast, login, follow_ups):
    client = login(cast.alice)
    listing = page_text(client.get(admin_url(FollowUp, "changelist")))
    assert "sales follow-up" in listing and "support follow-up" not in listing
    response = client.post(
        admin_url(FollowUp, "changelist"),
        {
            "action": "mark_done",
            "_selected_action": [follow_ups["sales"].pk, follow_ups["support"].pk],
        },
    )
    assert response.status_code == 302
    follow_ups["sales"].refresh_from_db()
    follow_ups["support"].refresh_from_db()
    assert (follow_ups["sales"].done_by, follow_ups["support"].done_at) == (cast.alice, None)
    assert follow_ups["sales"].done_at is not None
    to_do = page_text(client.get(admin_url(FollowUp, "changelist") + "?state=open"))
    assert "sales follow-up" not in to_do


def test_another_company_never_sees_the_follow_ups(cast, login, follow_ups):
    client = login(cast.gabriel)
    listing = page_text(client.get(admin_url(FollowUp, "changelist")))
    assert "sales follow-up" not in listing and "support follow-up" not in listing
    assert client.get(admin_url(FollowUp, "change", follow_ups["sales"])).status_code == 404
    client.post(
        admin_url(FollowUp, "changelist"),
        {"action": "mark_done", "_selected_action": [follow_ups["sales"].pk]},
    )
    follow_ups["sales"].refresh_from_db()
    assert follow_ups["sales"].done_at is None
