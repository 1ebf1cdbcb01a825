"""The chat page's composer in Chromium, against daphne and the chat.send consumer (the same
site as test_chat_page): Alice attaches a picture with a caption and watches it go out; a file
that cannot be sent is refused on the page."""

import re

import pytest
from playwright.sync_api import expect

from chat import live
from chat.models import Conversation, Message, QuickReply
from contacts.models import Contact
from tests.browser import test_chat_page as chat_page
from tests.browser.chromium import chromium_page, in_another_thread, log_in
from tests.chat.test_composer_upload import png
from tests.conftest import CAST_PASSWORD
from whatsapp import services as instance_services
from whatsapp.models import WhatsAppInstance

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
# Gone out: the simulator's receipts may already have moved it on.
GONE_OUT = re.compile("^(sent|delivered|read)$")
site = chat_page.site  # daphne, the webhook worker and chat.send on the test database


@pytest.fixture
def composer_site(monkeypatch, tmp_path, request):
    """The site, its files stored in this test's own directory."""
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path / "media"))
    return request.getfixturevalue("site")


@pytest.fixture
def sales_chat(cast, evolution_simulator):
    """A connected Acme number and a customer's chat waiting in Sales (Alice's department)."""
    line = instance_services.create_instance(cast.acme, "Acme Vendas")
    evolution_simulator.control.scan(line.evolution_name, number="5511900001111")
    WhatsAppInstance.objects.filter(pk=line.pk).update(state="open")
    contact = Contact.objects.create(tenant=cast.acme, phone="+5511987654321", name="Maria")
    return Conversation.objects.create(
        tenant=cast.acme,
        instance=line,
        remote_jid="5511987654321@s.whatsapp.net",
        contact=contact,
        department=cast.departments[("acme", "Sales")],
        status=Conversation.Status.OPEN,
    )


def open_chat(page, conversation):
    log_in(page, "alice@acme.test", CAST_PASSWORD)
    page.goto(f"/chat/{conversation.pk}/")
    page.wait_for_function("document.getElementById('chat-offline').hidden")


def test_alice_sends_a_picture_with_a_caption_and_sees_it_go_out(
    composer_site, sales_chat, evolution_simulator
):
    with chromium_page(composer_site, locale="en-US") as page:
        open_chat(page, sales_chat)
        page.set_input_files(
            "#chat-file", files=[{"name": "recibo.png", "mimeType": "image/png", "buffer": png()}]
        )
        chip = page.get_by_test_id("attachment")
        expect(chip).to_contain_text("recibo.png")
        page.locator("#chat-composer textarea").fill("Seu recibo")
        page.keyboard.press("Enter")

        sent = page.locator("#chat-messages li.chat-out", has_text="Seu recibo")
        expect(sent).to_have_count(1)
        expect(sent.locator("img.chat-image")).to_have_attribute("src", re.compile(r"/preview/$"))
        expect(sent).to_have_attribute("data-status", GONE_OUT, timeout=8000)
        expect(chip).to_be_hidden()
        # The preview is served to her by the media view.
        preview = sent.locator("img.chat-image")
        page.wait_for_function(
            "(img) => img.complete && img.naturalWidth > 0", arg=preview.element_handle()
        )

    [out] = evolution_simulator.control.sent(sales_chat.instance.evolution_name)
    assert out["message"]["imageMessage"]["caption"] == "Seu recibo"
    message = Message.objects.get(conversation=sales_chat)
    assert message.attachment.storage_key.startswith(f"{sales_chat.tenant_id}/attachments/")


def test_a_file_that_cannot_be_sent_is_refused_on_the_page(composer_site, sales_chat):
    with chromium_page(composer_site, locale="en-US") as page:
        open_chat(page, sales_chat)
        page.set_input_files(
            "#chat-file",
            files=[{"name": "page.html", "mimeType": "text/html", "buffer": b"<p>hi</p>"}],
        )
        page.locator("#chat-composer button[type=submit]").click()
        expect(page.locator("#chat-error")).to_have_text("This kind of file cannot be sent.")
        expect(page.get_by_test_id("attachment")).to_contain_text("page.html")  # kept
        expect(page.locator("#chat-messages li")).to_have_count(0)
    assert not Message.objects.filter(conversation=sales_chat).exists()


def test_alice_inserts_a_quick_reply_with_the_keyboard_and_sends_it(
    composer_site, sales_chat, cast, evolution_simulator
):
    sales = cast.departments[("acme", "Sales")]
    QuickReply.objects.create(tenant=cast.acme, shortcut="ola", text="Olá {{primeiro_nome}}!")
    QuickReply.objects.create(
        tenant=cast.acme, shortcut="preco", text="O preço é R$ 10.", department=sales
    )
    QuickReply.objects.create(tenant=cast.acme, shortcut="prazo", text="Entregamos em 2 dias.")
    with chromium_page(composer_site, locale="en-US") as page:
        open_chat(page, sales_chat)
        box = page.locator("#chat-composer textarea")
        box.click()
        page.keyboard.type("/pr")
        options = page.get_by_test_id("quick-replies").get_by_role("option")
        expect(options).to_have_count(2)  # prazo, preco; not ola
        page.keyboard.press("ArrowDown")
        expect(options.nth(1)).to_have_attribute("aria-selected", "true")
        page.keyboard.press("Enter")  # inserts, does not send
        expect(box).to_have_value("O preço é R$ 10.")
        expect(page.get_by_test_id("quick-replies")).to_be_hidden()

        page.keyboard.type(" /ola")
        expect(options).to_have_count(1)
        page.keyboard.press("Tab")
        expect(box).to_have_value("O preço é R$ 10. Olá Maria!")
        page.keyboard.press("Enter")  # now it sends
        reply = page.locator("#chat-messages li.chat-out", has_text="Olá Maria!")
        expect(reply).to_have_attribute("data-status", GONE_OUT, timeout=8000)

        box.fill("")
        page.keyboard.type("/nada")
        expect(page.get_by_test_id("quick-replies")).to_contain_text("No quick reply matches")
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("quick-replies")).to_be_hidden()
        expect(box).to_have_value("/nada")

        # Saved by a manager while the page is open: the next "/" finds it.
        in_another_thread(
            lambda: QuickReply.objects.create(tenant=cast.acme, shortcut="nada", text="De nada!")
        )
        box.fill("")
        page.keyboard.type("/nada")
        expect(options).to_have_count(1)
        expect(options.first).to_contain_text("De nada!")

    [out] = evolution_simulator.control.sent(sales_chat.instance.evolution_name)
    assert out["message"]["conversation"] == "O preço é R$ 10. Olá Maria!"


def test_alice_reacts_to_the_customer_and_signs_her_answer(
    composer_site, sales_chat, cast, evolution_simulator
):
    chegou = Message.objects.create(
        tenant=cast.acme,
        conversation=sales_chat,
        direction=Message.Direction.INBOUND,
        body="Chegou!",
        provider_id="CUSTOMER-1",
        status=Message.Status.DELIVERED,
        timestamp=sales_chat.created_at,
    )
    with chromium_page(composer_site, locale="en-US") as page:
        open_chat(page, sales_chat)
        customer = page.locator("#chat-messages li.chat-in", has_text="Chegou!")
        page.wait_for_load_state("networkidle")  # the socket is up
        customer.get_by_role("button", name="React").click()
        # A live update redraws the message while the menu is open: the menu stays.
        drawn = f"#chat-messages li[data-id='{chegou.pk}']"
        page.locator(drawn).evaluate("node => { node.dataset.old = 'yes'; }")
        in_another_thread(lambda: live.message_changed(chegou.pk))
        expect(page.locator(drawn + ":not([data-old])")).to_have_count(1)  # redrawn
        expect(page.get_by_test_id("reactions")).to_be_visible()
        page.get_by_test_id("reactions").get_by_role("menuitem", name="🙏").click()
        expect(customer.locator(".chat-reactions")).to_have_text("🙏")

        page.locator("#chat-signature summary").click()
        page.locator("#chat-signature input[name=signature]").fill("— Alice, Vendas")
        page.locator("#chat-signature select").select_option("after")
        page.locator("#chat-signature button[type=submit]").click()
        expect(page.locator('#chat-signature [data-role="shown"]')).to_have_text("— Alice, Vendas")
        page.locator("#chat-composer input[name=sign]").check()
        page.locator("#chat-composer textarea").fill("Obrigada!")
        page.keyboard.press("Enter")
        reply = page.locator("#chat-messages li.chat-out", has_text="Obrigada!")
        expect(reply.locator(".chat-text")).to_have_text("Obrigada!\n\n— Alice, Vendas")
        expect(reply).to_have_attribute("data-status", GONE_OUT, timeout=8000)

    sent = evolution_simulator.control.sent(sales_chat.instance.evolution_name)
    reactions = [s for s in sent if "reactionMessage" in s["message"]]
    texts = [s["message"]["conversation"] for s in sent if "conversation" in s["message"]]
    assert [r["message"]["reactionMessage"]["text"] for r in reactions] == ["🙏"]
    assert texts == ["Obrigada!\n\n— Alice, Vendas"]
