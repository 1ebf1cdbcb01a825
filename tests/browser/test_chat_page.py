"""The chat page end to end in Chromium: daphne (websockets), the webhook worker and the
chat.send consumer in processes of their own, the Evolution simulator as WhatsApp. Alice sees a
customer's message arrive without reloading, replies, and watches the tick go
sent → delivered → read as the simulator reports it."""

import os
import socket
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect

from chat import routing
from chat.models import Conversation, Message
from tests.browser.chromium import chromium_page, in_another_thread, log_in
from tests.conftest import CAST_PASSWORD
from whatsapp import services as instance_services
from whatsapp.models import WhatsAppInstance

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
ROOT = Path(__file__).resolve().parents[2]
CUSTOMER = "5511987654321"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def process(args, env, log: Path, *, ready):
    """``args`` run from the repository root until the block ends; ``ready()`` says it is up."""
    with open(log, "w") as out:
        child = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not ready():
            assert child.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield child
    finally:
        child.terminate()
        child.wait(20)


def _listening(port) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture
def site(tmp_path, settings, evolution_simulator):
    """daphne, ``process_webhooks`` and ``consume chat.send`` on the test database, talking to
    the simulator; the simulator's webhooks reach daphne."""
    port = free_port()
    settings.EVOLUTION_API_URL = evolution_simulator.url
    settings.EVOLUTION_API_KEY = evolution_simulator.api_key
    settings.PUBLIC_URL = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.campaigns.engine.consumer_settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)]),
        "EVOLUTION_API_URL": evolution_simulator.url,
        "EVOLUTION_API_KEY": evolution_simulator.api_key,
        "PUBLIC_URL": settings.PUBLIC_URL,
    }
    consumer_log = tmp_path / "consumer.log"
    with ExitStack() as stack:
        stack.enter_context(
            process(
                [
                    sys.executable,
                    "-m",
                    "daphne",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "alrea.asgi:application",
                ],
                env,
                tmp_path / "daphne.log",
                ready=lambda: _listening(port),
            )
        )
        stack.enter_context(
            process(
                [sys.executable, "manage.py", "process_webhooks"],
                env,
                tmp_path / "webhooks.log",
                ready=lambda: True,
            )
        )
        stack.enter_context(
            process(
                [sys.executable, "manage.py", "consume", "chat.send"],
                env,
                consumer_log,
                ready=lambda: "consuming chat.send" in consumer_log.read_text(),
            )
        )
        yield settings.PUBLIC_URL


def wait_for(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.1)
    return found


def connected_sales_line(cast, control) -> WhatsAppInstance:
    """Acme's number, scanned on the simulator (connected through its webhook); new chats wait
    in Sales, alice's department."""
    line = instance_services.create_instance(cast.acme, "Acme Vendas")
    control.scan(line.evolution_name, number="5511900001111")
    wait_for(lambda: WhatsAppInstance.objects.filter(pk=line.pk, state="open").exists())
    WhatsAppInstance.objects.filter(pk=line.pk).update(
        default_department=cast.departments[("acme", "Sales")]
    )
    return line


def test_alice_sees_a_message_arrive_replies_and_watches_the_ticks(site, cast, evolution_simulator):
    control = evolution_simulator.control
    # She keeps seeing it once Ana takes it: it is in her department.
    line = connected_sales_line(cast, control)
    control.configure(ack_delay_ms=1500)  # slow enough to see each tick
    control.inbound(line.evolution_name, number=CUSTOMER, push_name="Maria", text="Olá!")
    chat = wait_for(lambda: Conversation.objects.filter(instance=line).first())
    wait_for(lambda: Message.objects.filter(conversation=chat).exists())

    with chromium_page(site, locale="en-US") as page:
        failed = []  # every answer of ours but the pictures WhatsApp has not given yet
        page.on(
            "response",
            lambda r: r.status >= 400 and "/picture/" not in r.url and failed.append(r.url),
        )
        log_in(page, "alice@acme.test", CAST_PASSWORD)
        page.goto("/chat/?tab=departments")
        page.get_by_role("link", name="Chat").first.wait_for()
        page.locator(f'[data-conversation="{chat.pk}"]').click()
        messages = page.locator("#chat-messages")
        expect(messages).to_contain_text("Olá!")
        page.wait_for_function("document.getElementById('chat-offline').hidden")
        page.wait_for_timeout(300)  # the socket has said "ready"

        control.inbound(
            line.evolution_name, number=CUSTOMER, push_name="Maria", text="Tem em azul?"
        )
        # Before the 5 s poll could bring it, and without a reload: over the socket.
        expect(messages).to_contain_text("Tem em azul?", timeout=4000)

        page.locator("#chat-composer textarea").fill("Temos sim! 💙")
        page.keyboard.press("Enter")
        reply = messages.locator("li.chat-out", has_text="Temos sim!")
        expect(reply).to_have_count(1)
        for status in ("sent", "delivered", "read"):
            expect(reply).to_have_attribute("data-status", status, timeout=8000)
        expect(page.get_by_role("button", name="Claim")).to_be_visible()
        in_another_thread(lambda: routing.claim(chat, by=cast.ana))  # Ana takes it elsewhere
        expect(page.locator('.chat-header [data-role="agent"]')).to_have_text("Ana Souza")
        expect(page.get_by_role("button", name="Claim")).to_have_count(0)
        assert failed == []
        if os.environ.get("ALREA_SCREENSHOT"):
            page.screenshot(path=os.environ["ALREA_SCREENSHOT"], full_page=True)

    [sent] = control.sent(line.evolution_name)
    assert sent["message"]["conversation"] == "Temos sim! 💙"
    # Open on her screen: read here and on the customer's phone.
    chat.refresh_from_db()
    assert chat.unread_count == 0
    customer = Message.objects.filter(conversation=chat, direction=Message.Direction.INBOUND)
    assert set(customer.values_list("status", flat=True)) == {Message.Status.READ}
