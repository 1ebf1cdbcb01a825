"""Acme's demo conversations: a few days of realistic pt-BR history on the demo number.

Run by ``seed_demo`` (before the simulator is up, so nothing here calls WhatsApp). The rows are
written directly, with times in the past: the routing and sending services stamp "now" and
would send the transfer message to the customer. Safe to repeat: a chat that exists is left
alone. The demo number itself is made here when missing (disconnected) and connected later by
``seed_demo_whatsapp``, which finds it by name.
"""

import io
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import Department, User
from alrea.phones import normalize_phone
from chat.models import Attachment, Conversation, ConversationEvent, Message
from contacts.models import Contact
from media import storage, thumbnails
from whatsapp import demo as whatsapp_demo
from whatsapp import services as instance_services
from whatsapp.models import WhatsAppInstance
from whatsapp.servers import server_for_tenant

IN, OUT = Message.Direction.INBOUND, Message.Direction.OUTBOUND
S, T = Message.Status, Message.Type


@dataclass(frozen=True)
class Line:
    """One message: minutes before now, who wrote it and what."""

    minutes_ago: int
    direction: str
    text: str = ""
    status: str = S.READ
    type: str = T.TEXT
    by: str = ""  # the cast key of the agent who wrote it (outbound and notes)
    error: str = ""


@dataclass(frozen=True)
class Chat:
    number: str
    name: str
    status: str
    department: str = ""  # "" is the Inbox
    agent: str = ""
    unread: int = 0
    lines: tuple = ()
    transfer: tuple = ()  # (minutes ago, from department, to department, by, reason)


CHATS = (
    Chat(
        "5511976543210", "Carla Mendes", Conversation.Status.OPEN, "Sales", "alice", unread=1,
        lines=(
            Line(190, IN, "Bom dia! Vi o anúncio da mochila de trilha. Ainda tem a verde?"),
            Line(185, OUT, "Bom dia, Carla! Tem sim, a verde de 40 litros. Quer que eu reserve?",
                 by="alice"),
            Line(180, IN, "É essa aqui?", type=T.IMAGE),
            Line(176, OUT, "Essa mesma! Reservei no seu nome até sexta.", S.DELIVERED, by="alice"),
            Line(175, OUT, "Cliente pede nota fiscal no CNPJ da empresa: conferir antes.",
                 type=T.NOTE, by="alice"),
            Line(12, IN, "Perfeito! Vocês aceitam Pix?", S.DELIVERED),
        ),
    ),
    Chat(
        "5521987651234", "Roberto Lima", Conversation.Status.PENDING, "Support", unread=1,
        lines=(
            Line(95, IN, "Minha encomenda chegou com a caixa amassada e o relógio riscado."),
            Line(90, OUT, "Sinto muito, Roberto! Vou passar você para o Suporte, que faz trocas.",
                 by="marcos"),
            Line(88, OUT, "Olá! Aqui é o Suporte da Acme. Já vamos ver a sua troca.", S.DELIVERED),
            Line(30, IN, "Obrigado, fico no aguardo. Mando foto da nota?", S.DELIVERED),
        ),
        transfer=(89, "Sales", "Support", "marcos", "Troca de produto com defeito"),
    ),
    Chat(
        "5531991234567", "Fernanda Costa", Conversation.Status.CLOSED, "Sales", "alice",
        lines=(
            Line(1500, IN, "Oi! Vocês entregam em Belo Horizonte?"),
            Line(1495, OUT, "Entregamos sim! O frete é grátis acima de R$ 199.", by="alice"),
            Line(1490, IN, "Perfeito, obrigada!"),
            Line(1485, OUT, "Por nada, Fernanda! Qualquer dúvida é só chamar.", S.SENT, by="alice"),
        ),
    ),
    Chat(
        "5541999887766", "Juliana Alves", Conversation.Status.OPEN, "Sales", "marcos",
        lines=(
            Line(300, IN, "Vocês têm tênis de corrida no 36?"),
            Line(290, OUT, "Temos o modelo azul e o cinza no 36. Posso mandar as fotos?",
                 by="marcos"),
            Line(60, OUT, "Juliana, chegaram mais cores hoje!", S.FAILED, by="marcos",
                 error="Not sent: the WhatsApp number is disconnected."),
        ),
    ),
    Chat(
        "5511955554444", "Paulo Souza", Conversation.Status.PENDING, unread=2,
        lines=(
            Line(8, IN, "Olá, boa tarde."),
            Line(7, IN, "Queria falar com alguém sobre uma compra grande para a minha empresa."),
        ),
    ),
)  # fmt: skip


def demo_number(tenant) -> WhatsAppInstance:
    """The demo number, made here (disconnected, not yet on any server) when missing."""
    found = WhatsAppInstance.objects.for_tenant(tenant).filter(name=whatsapp_demo.INSTANCE_NAME)
    if found.exists():
        return found.get()
    return WhatsAppInstance.objects.create(
        tenant=tenant,
        name=whatsapp_demo.INSTANCE_NAME,
        evolution_name=instance_services.new_evolution_name(),
        default_department=Department.objects.for_tenant(tenant).get(name=whatsapp_demo.DEPARTMENT),
        server=server_for_tenant(tenant).server,
    )


@transaction.atomic
def seed_conversations(tenant) -> int:
    """Acme's demo chats that are not there yet; returns how many were added."""
    instance = demo_number(tenant)
    departments = {d.name: d for d in Department.objects.for_tenant(tenant)}
    people = {u.email.split("@")[0]: u for u in User.objects.for_tenant(tenant)}
    added = 0
    for chat in CHATS:
        jid = f"{chat.number}@s.whatsapp.net"
        if Conversation.objects.filter(instance=instance, remote_jid=jid).exists():
            continue
        _seed_chat(instance, chat, jid, departments, people)
        added += 1
    return added


def _seed_chat(instance, chat: Chat, jid: str, departments, people) -> None:
    now = timezone.now()
    contact, _created = Contact.objects.get_or_create(
        tenant_id=instance.tenant_id,
        phone=normalize_phone(f"+{chat.number}"),
        defaults={"name": chat.name, "source": Contact.Source.WHATSAPP, "whatsapp_name": chat.name},
    )
    shown = [line for line in chat.lines if line.type != T.NOTE]
    conversation = Conversation.objects.create(
        tenant_id=instance.tenant_id,
        instance=instance,
        remote_jid=jid,
        contact=contact,
        status=chat.status,
        department=departments.get(chat.department),
        assigned_to=people.get(chat.agent),
        unread_count=chat.unread,
        last_message_at=now - timedelta(minutes=shown[-1].minutes_ago),
        last_message_preview=shown[-1].text[:200] or "[Image]",
        closed_at=now - timedelta(minutes=chat.lines[-1].minutes_ago - 5)
        if chat.status == Conversation.Status.CLOSED
        else None,
    )
    ConversationEvent.objects.create(
        tenant_id=instance.tenant_id,
        conversation=conversation,
        kind=ConversationEvent.Kind.OPENED,
        to_department=departments.get("Sales" if chat.transfer else chat.department),
        created_at=now - timedelta(minutes=chat.lines[0].minutes_ago),
    )
    if chat.transfer:
        minutes, source, target, by, reason = chat.transfer
        ConversationEvent.objects.create(
            tenant_id=instance.tenant_id,
            conversation=conversation,
            kind=ConversationEvent.Kind.TRANSFERRED,
            actor=people.get(by),
            from_department=departments[source],
            to_department=departments[target],
            reason=reason,
            created_at=now - timedelta(minutes=minutes),
        )
    for n, line in enumerate(chat.lines):
        _seed_message(conversation, line, n, chat, people, now)


def _seed_message(conversation, line: Line, n: int, chat: Chat, people, now) -> None:
    at = now - timedelta(minutes=line.minutes_ago)
    note = line.type == T.NOTE
    agent = people.get(line.by)
    message = Message.objects.create(
        tenant_id=conversation.tenant_id,
        conversation=conversation,
        direction=OUT if note else line.direction,
        type=line.type,
        body="" if line.type == T.IMAGE else line.text,
        caption=line.text if line.type == T.IMAGE else "",
        status=line.status,
        error=line.error,
        provider_id="" if note else f"DEMOHIST{chat.number[-6:]}{n:02d}",
        sender_name=chat.name if line.direction == IN else "",
        sent_by=agent,
        timestamp=at,
        sent_at=at if line.direction == OUT and not note else None,
        delivered_at=at if line.status in (S.DELIVERED, S.READ) else None,
        read_at=at if line.status == S.READ else None,
        failed_at=at if line.status == S.FAILED else None,
    )
    Message.objects.filter(pk=message.pk).update(created_at=at)  # stored when it was sent
    if line.type == T.IMAGE:
        _attach_photo(message, at)


def _photo() -> bytes:
    """A small product photo: a green backpack on a light background (no file shipped)."""
    image = Image.new("RGB", (480, 360), (236, 239, 241))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((150, 60, 330, 320), radius=40, fill=(46, 125, 50))
    draw.rounded_rectangle((180, 170, 300, 280), radius=20, fill=(27, 94, 32))
    draw.arc((190, 20, 290, 110), start=180, end=360, fill=(33, 33, 33), width=10)
    data = io.BytesIO()
    image.save(data, "JPEG", quality=85)
    return data.getvalue()


def _attach_photo(message: Message, at) -> None:
    data = _photo()
    attachment = Attachment(
        tenant_id=message.tenant_id,
        message=message,
        mimetype="image/jpeg",
        file_name="mochila-verde.jpg",
        size=len(data),
        width=480,
        height=360,
        status=Attachment.Status.READY,
        settled_at=at,
    )
    backend = storage.current()
    attachment.storage = backend
    attachment.storage_key = storage.attachment_key(attachment, "image/jpeg")
    attachment.thumbnail_key = storage.thumbnail_key(attachment)
    storage.save(backend, attachment.storage_key, data, "image/jpeg")
    storage.save(backend, attachment.thumbnail_key, thumbnails.make(data).data, "image/jpeg")
    attachment.save()
