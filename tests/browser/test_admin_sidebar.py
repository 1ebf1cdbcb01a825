"""What each role finds in the admin sidebar (admin_ext/navigation.py), seen in Chromium.

Links are matched by href, which does not change with the language; section titles are checked
in Portuguese (the default) or English.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chromium import log_in
from tests.conftest import CAST_PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

USERS = "/admin/accounts/user/"
DEPARTMENTS = "/admin/accounts/department/"
PLANS = "/admin/tenancy/plan/"
SETTINGS = re.compile(r"^\s*(Configurações|Settings)\b")
PLATFORM = re.compile(r"^\s*(Plataforma|Platform)\b")


def sidebar_link(page: Page, href: str):
    return page.locator(f'#nav-sidebar-apps a[href="{href}"]')


def open_section(page: Page, title: re.Pattern):
    """Sections start collapsed: click the title, as a person would."""
    page.locator("#nav-sidebar-apps h2", has_text=title).click()


def test_tenant_admin_sees_settings_with_users_and_departments_but_no_platform(page, cast):
    log_in(page, cast.users["ana"].email, CAST_PASSWORD)

    open_section(page, SETTINGS)

    expect(sidebar_link(page, USERS)).to_be_visible()
    expect(sidebar_link(page, DEPARTMENTS)).to_be_visible()
    expect(page.locator("#nav-sidebar-apps h2", has_text=PLATFORM)).to_have_count(0)
    expect(sidebar_link(page, PLANS)).to_have_count(0)


def test_agent_sidebar_has_departments_but_no_users_link(page, cast):
    log_in(page, cast.users["alice"].email, CAST_PASSWORD)

    open_section(page, SETTINGS)

    expect(sidebar_link(page, DEPARTMENTS)).to_be_visible()
    expect(sidebar_link(page, USERS)).to_have_count(0)
    expect(sidebar_link(page, PLANS)).to_have_count(0)


def test_platform_staff_sidebar_has_the_plans_link(page, cast):
    log_in(page, cast.users["staff"].email, CAST_PASSWORD)

    open_section(page, PLATFORM)

    expect(sidebar_link(page, PLANS)).to_be_visible()
