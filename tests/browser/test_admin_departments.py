"""A tenant admin manages departments through the admin forms, in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Department
from tests.browser.chromium import chromium_page, log_in
from tests.conftest import CAST_PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_tenant_admin_creates_a_department_that_appears_in_her_changelist(live_server, cast):
    # The browser is opened here rather than through the `page` fixture, so the database can be
    # checked once it has closed (see conftest.py on Playwright and Django's async check).
    with chromium_page(live_server.url) as page:
        log_in(page, "ana@acme.test", CAST_PASSWORD)

        page.goto("/admin/accounts/department/add/")
        expect(page.locator("#id_tenant")).to_have_count(0)  # set from her company, not chosen
        page.fill("#id_name", "Billing")
        page.fill("#id_colour", "#f43f5e")
        page.fill("#id_transfer_message", "Vou te transferir para o Financeiro.")
        page.locator("button[type=submit][name=_save][form=department_form]").click()

        expect(page).to_have_url(re.compile(r"/admin/accounts/department/$"))
        rows = page.locator("#result_list tbody tr")
        expect(rows.filter(has_text="Billing")).to_have_count(1)
        expect(rows.filter(has_text="Sales")).to_have_count(1)

    billing = Department.objects.get(name="Billing")
    assert billing.tenant == cast.tenants["acme"]
    assert billing.colour == "#f43f5e"
