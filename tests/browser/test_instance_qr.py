"""Adding a WhatsApp instance in the admin: its QR code shows, and once the phone scans it the
page says "Connected" by itself (the panel polls), with no reload."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.chromium import chromium_page, log_in
from tests.conftest import CAST_PASSWORD
from tests.evolution_fixtures import SIMULATOR_API_KEY, TEST_SWITCHES
from whatsapp.evolution import EvolutionClient
from whatsapp.models import WhatsAppInstance
from whatsapp.simulator.server import BackgroundSimulator

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CONNECTED = re.compile(r"^(Connected|Conectado)$")
CONNECTING = re.compile(r"^(Connecting|Conectando)$")


@pytest.fixture
def on_simulator(settings, live_server):
    """Instances go to a simulator (no auto-connect), whose webhooks come to the live server."""
    simulator = BackgroundSimulator(SIMULATOR_API_KEY, switches=TEST_SWITCHES).start()
    settings.PUBLIC_URL = live_server.url
    settings.EVOLUTION_API_URL = simulator.url
    settings.EVOLUTION_API_KEY = simulator.api_key
    yield simulator
    simulator.stop()


def test_admin_adds_an_instance_scans_its_qr_and_sees_it_connected(live_server, on_simulator, cast):
    with (
        chromium_page(live_server.url) as page,
        EvolutionClient(on_simulator.url, on_simulator.api_key) as evo,
    ):
        log_in(page, "ana@acme.test", CAST_PASSWORD)
        page.goto("/admin/whatsapp/whatsappinstance/add/")
        page.fill("#id_name", "Acme Vendas")
        page.select_option("#id_default_department", label="Sales")
        page.locator("button[type=submit][name=_save]").click()

        panel = page.locator("#instance-connection")
        expect(panel.locator("[data-role=state]")).to_have_text(CONNECTING)
        qr = panel.locator("[data-role=qr-image]")
        expect(qr).to_be_visible()
        expect(qr).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
        assert qr.evaluate("image => image.naturalWidth") > 0  # a real, decodable picture
        change_url = page.url

        # The phone scans the code: the simulator is the only way to see the instance's name
        # here (the ORM is off limits while Playwright runs, see conftest.py).
        [created] = evo.fetch_instances()
        on_simulator.control.scan(created.name, number="5511900001111", profile_name="Acme")

        expect(panel.locator("[data-role=state]")).to_have_text(CONNECTED)
        expect(panel.locator("[data-role=phone]")).to_contain_text("90000-1111")
        expect(panel.locator("[data-role=qr]")).to_be_hidden()
        assert page.url == change_url  # no reload, no navigation

    instance = WhatsAppInstance.objects.get(evolution_name=created.name)
    assert (instance.tenant, instance.name, instance.state) == (cast.acme, "Acme Vendas", "open")
