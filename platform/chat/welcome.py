"""The welcome menu: a greeting with numbered departments; the customer's number routes the
conversation.

A conversation the customer starts (or reopens) gets the menu and waits for an answer
(``Reception.menu_sent_at``). A valid number sends it to that department's queue
(``routing.choose_department``); anything else gets the hint and the menu again. Without an
answer, ``remind_and_close`` (a django-q2 schedule, every minute) sends the reminder once and,
after a further while, closes the conversation. Someone of the company stepping in (claiming,
transferring, closing, writing) ends the menu: the customer's numbers are theirs to read then.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from chat import outbox, routing
from chat.models import Conversation, MenuOption, Message, Reception, WelcomeMenu

logger = logging.getLogger(__name__)

# Characters around a number that still read as choosing it: "2", "2.", "2)", "(2)", "#2".
AROUND_NUMBER = " .)(-#*"


def lock_reception(conversation_id) -> tuple[Conversation, Reception]:
    """The conversation under its row lock, and its reception record.

    Row lock: two messages of one chat (or a message and the schedule) are handled one after
    the other, each seeing what the one before sent."""
    conversation = (
        Conversation.objects.select_for_update(of=("self",), no_key=True)
        .select_related("tenant", "instance")
        .get(pk=conversation_id)
    )
    state, _created = Reception.objects.get_or_create(
        conversation=conversation, defaults={"tenant_id": conversation.tenant_id}
    )
    return conversation, state


def menu_for(tenant_id) -> WelcomeMenu | None:
    """The company's menu if it is enabled and offers at least one department."""
    options = MenuOption.objects.select_related("department").order_by("number")
    menu = (
        WelcomeMenu.objects.filter(tenant_id=tenant_id, enabled=True)
        .prefetch_related(Prefetch("options", options))
        .first()
    )
    return menu if menu is not None and menu.options.all() else None


def menu_text(menu: WelcomeMenu, lead: str) -> str:
    lines = [
        f"{option.number} - {option.label or option.department.name}"
        for option in menu.options.all()
    ]
    return "\n".join([lead.strip(), "", *lines]) if lead.strip() else "\n".join(lines)


def _offer(conversation: Conversation, state: Reception, menu: WelcomeMenu, lead: str, now):
    outbox.queue_text(conversation, menu_text(menu, lead), automatic=outbox.WELCOME_MENU)
    state.menu_sent_at, state.menu_reminded_at = now, None
    state.save(update_fields=["menu_sent_at", "menu_reminded_at"])


def _stop(state: Reception) -> None:
    state.menu_sent_at = state.menu_reminded_at = None
    state.save(update_fields=["menu_sent_at", "menu_reminded_at"])


def chosen(menu: WelcomeMenu, text: str) -> MenuOption | None:
    """The option ``text`` picks: its number, or its label or department name in full."""
    answer = text.strip().strip(AROUND_NUMBER)
    for option in menu.options.all():
        if answer == str(option.number):
            return option
        names = {option.department.name.casefold(), option.label.casefold()}
        if answer and answer.casefold() in names:
            return option
    return None


def taken_over(conversation: Conversation, since) -> bool:
    """Someone of the company handled the conversation since the menu went out."""
    if conversation.status == Conversation.Status.CLOSED or conversation.assigned_to_id:
        return True
    return (
        conversation.events.filter(created_at__gte=since, actor__isnull=False).exists()
        or conversation.messages.filter(
            direction=Message.Direction.OUTBOUND, sent_by__isnull=False, created_at__gte=since
        ).exists()
    )


def handle(
    conversation: Conversation,
    state: Reception,
    menu: WelcomeMenu,
    message: Message,
    *,
    started: bool,
    now,
) -> tuple[Conversation, bool]:
    """A customer's message while the menu is enabled. Returns the conversation (moved when
    the customer chose) and whether the menu answered it (no after-hours reply then)."""
    if started:
        _offer(conversation, state, menu, menu.greeting, now)
        return conversation, True
    if state.menu_sent_at is None:
        return conversation, False
    if taken_over(conversation, state.menu_sent_at):
        _stop(state)
        return conversation, False
    option = chosen(menu, message.body if message.type == Message.Type.TEXT else "")
    if option is None:
        _offer(conversation, state, menu, menu.invalid_choice, now)
        return conversation, True
    _stop(state)
    return routing.choose_department(conversation, option.department), False


# --- The schedule: reminders and closing ---------------------------------------------------


def remind_and_close(now=None) -> dict[str, int]:
    """Send the reminder to conversations whose menu went unanswered for the company's
    ``remind_after_minutes``, and close those still silent ``close_after_minutes`` after the
    reminder. A django-q2 schedule, every minute; each conversation in its own transaction."""
    now = now or timezone.now()
    done = {"reminded": 0, "closed": 0}
    waiting = Reception.objects.filter(menu_sent_at__isnull=False)
    menus = {menu.tenant_id: menu for menu in WelcomeMenu.objects.filter(enabled=True)}
    # A menu switched off leaves nothing waiting.
    waiting.exclude(tenant_id__in=list(menus)).update(menu_sent_at=None, menu_reminded_at=None)
    for tenant_id, menu in menus.items():
        rows = waiting.filter(tenant_id=tenant_id)
        remind_before = now - timedelta(minutes=menu.remind_after_minutes)
        close_before = now - timedelta(minutes=menu.close_after_minutes)
        due = rows.filter(menu_reminded_at__isnull=True, menu_sent_at__lte=remind_before)
        for conversation_id in due.values_list("pk", flat=True):
            done["reminded"] += _remind(conversation_id, remind_before, now)
        due = rows.filter(menu_reminded_at__lte=close_before)
        for conversation_id in due.values_list("pk", flat=True):
            done["closed"] += _close(conversation_id, close_before)
    return done


@transaction.atomic
def _remind(conversation_id, remind_before, now) -> bool:
    conversation, state = lock_reception(conversation_id)
    # Decided again under the lock: the customer may have answered meanwhile.
    if state.menu_sent_at is None or state.menu_reminded_at or state.menu_sent_at > remind_before:
        return False
    if taken_over(conversation, state.menu_sent_at):
        _stop(state)
        return False
    menu = menu_for(conversation.tenant_id)
    if menu is None:
        _stop(state)
        return False
    outbox.queue_text(conversation, menu_text(menu, menu.reminder), automatic=outbox.WELCOME_MENU)
    state.menu_reminded_at = now
    state.save(update_fields=["menu_reminded_at"])
    return True


@transaction.atomic
def _close(conversation_id, close_before) -> bool:
    conversation, state = lock_reception(conversation_id)
    if state.menu_reminded_at is None or state.menu_reminded_at > close_before:
        return False
    taken = taken_over(conversation, state.menu_sent_at)
    _stop(state)
    if taken:
        return False
    menu = WelcomeMenu.objects.filter(tenant_id=conversation.tenant_id).first()
    if menu is not None and menu.closing_message.strip():
        outbox.queue_text(conversation, menu.closing_message, automatic=outbox.WELCOME_MENU)
    routing.close(conversation, by=None, reason=_("No answer to the welcome menu."))
    logger.info(
        "conversation closed: no answer to the welcome menu",
        extra={"tenant_id": conversation.tenant_id, "conversation_id": conversation.pk},
    )
    return True
