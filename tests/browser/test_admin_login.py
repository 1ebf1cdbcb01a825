"""Logging in to the admin through the real login form, in Chromium."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.chromium import log_in
from tests.conftest import CAST_PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DASHBOARD = re.compile(r"/admin/$")
LOGIN_PAGE = re.compile(r"/admin/login/")
# Django's own message, in either of the platform's languages.
WRONG_CREDENTIALS = re.compile(r"insira um e-mail e senha corretos|enter a correct email")
LOCKED_OUT = re.compile(r"Muitas tentativas|Too many failed attempts")


def test_tenant_admin_logs_in_with_email_and_lands_on_her_company_dashboard(page, cast):
    log_in(page, "ana@acme.test", CAST_PASSWORD)

    expect(page).to_have_url(DASHBOARD)
    expect(page.locator("#content")).to_contain_text("Acme")
    expect(page.locator("[data-testid=kpis]")).to_be_visible()
    expect(page.locator("#nav-sidebar")).to_contain_text("Ana Souza")


def test_wrong_password_keeps_the_user_on_the_login_page_with_an_error(page, cast):
    log_in(page, "ana@acme.test", "not-her-password")

    expect(page).to_have_url(LOGIN_PAGE)
    expect(page.locator(".errornote").last).to_contain_text(WRONG_CREDENTIALS)
    expect(page.locator("#nav-sidebar")).to_have_count(0)


def test_after_five_wrong_passwords_even_the_right_one_is_refused(page, cast):
    assert settings.LOGIN_MAX_FAILURES == 5
    for _attempt in range(settings.LOGIN_MAX_FAILURES):
        log_in(page, "ana@acme.test", "not-her-password")
        expect(page.locator(".errornote").last).to_contain_text(WRONG_CREDENTIALS)

    log_in(page, "ana@acme.test", CAST_PASSWORD)

    expect(page).to_have_url(LOGIN_PAGE)
    expect(page.locator(".errornote").last).to_contain_text(LOCKED_OUT)
    page.goto("/admin/")
    expect(page).to_have_url(LOGIN_PAGE)  # no session was opened
