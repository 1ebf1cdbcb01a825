"""The agents' chat page (``/chat/``) and the JSON endpoints its script calls.

Glue only: reads come from ``chat.selectors``, changes from ``chat.routing``, ``chat.outbox``
(files checked by ``chat.uploads``, signatures added by ``chat.signatures``), ``chat.notes``,
``chat.reading`` and ``chat.sending``.
Every conversation is looked up through ``visible_to(user)``: another company's, or one the user
may not see, is a 404. Refusals of a service come back as JSON ``{"error": ...}`` with 400 (the
state forbids it) or 403 (the role).
"""

from datetime import datetime
from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Department, SignaturePosition, User
from chat import (
    notes,
    outbox,
    presenters,
    quick_replies,
    reactions,
    reading,
    routing,
    selectors,
    sending,
    signatures,
    uploads,
)
from chat.models import Conversation, Message
from tenancy.access import get_for_tenant_or_404, get_visible_or_404

ACTIONS = (routing.CLAIM, routing.CLOSE, routing.REOPEN, routing.TRANSFER)
MAX_TEXT = 4096  # WhatsApp's own limit is higher; longer texts are split by hand


def agent_view(view):
    """Signed in, of a company (platform staff have no chat), allowed to see conversations."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.tenant_id or not user.has_perm("chat.view_conversation"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _refusal(exc: Exception) -> JsonResponse:
    if isinstance(exc, PermissionDenied):
        return _error(str(exc) or _("You may not do this."), 403)
    return _error(" ".join(exc.messages))


def _conversation(request, pk) -> Conversation:
    return get_visible_or_404(
        presenters.conversations_for_page(Conversation.objects.all()), request.user, pk=pk
    )


def _list_context(request) -> dict:
    tab = request.GET.get("tab", selectors.INBOX)
    if tab not in selectors.TABS:
        tab = selectors.INBOX
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    search = request.GET.get("q", "")[:100]
    conversations, has_more = selectors.conversation_list(
        request.user, tab=tab, search=search, page=page
    )
    unread = selectors.unread_by_tab(request.user)
    return {
        "tab": tab,
        "search": search,
        "page_number": page,
        "conversations": conversations,
        "has_more": has_more,
        "tabs": [
            (selectors.INBOX, _("Inbox"), unread[selectors.INBOX]),
            (selectors.MINE, _("Mine"), unread[selectors.MINE]),
            (selectors.DEPARTMENTS, _("My departments"), unread[selectors.DEPARTMENTS]),
            (selectors.CLOSED, _("Closed"), unread[selectors.CLOSED]),
        ],
    }


@require_GET
@agent_view
def page(request, pk=None):
    conversation = _conversation(request, pk) if pk else None
    context = {
        **admin.site.each_context(request),
        **_list_context(request),
        "title": _("Chat"),
        "conversation": conversation,
        "max_upload_bytes": settings.CHAT_UPLOAD_MAX_BYTES,
        "signature_shown": signatures.signature_of(request.user),
        "signature_default": signatures.default_signature(request.user),
        "signature_positions": SignaturePosition.choices,
    }
    if conversation is not None:
        context.update(_panel_context(request.user, conversation))
    return render(request, "chat/page.html", context)


def _panel_context(user, conversation: Conversation) -> dict:
    actions = routing.available_actions(user, conversation)
    return {
        "actions": actions,
        "departments": Department.objects.for_tenant(conversation.tenant_id).order_by("name")
        if routing.TRANSFER in actions
        else [],
        "agents": routing.agents_for(conversation) if routing.TRANSFER in actions else [],
    }


@require_GET
@agent_view
def conversation_list(request):
    """The list alone (HTML), for the script: live refresh and "more"."""
    return render(request, "chat/_conversation_list.html", _list_context(request))


@require_GET
@agent_view
def messages(request, pk):
    """``?before=<message id>``: the page before it; ``?after=<cursor>``: what changed since
    (see selectors.catch_up); neither: the newest page. Every answer carries a new cursor."""
    conversation = _conversation(request, pk)
    cursor = selectors.new_cursor()
    if "after" in request.GET:
        try:
            since = datetime.fromisoformat(request.GET["after"])
        except ValueError:
            return HttpResponseBadRequest(_("The cursor is not a time."))
        if since.tzinfo is None:
            return HttpResponseBadRequest(_("The cursor has no time zone."))
        rows, has_more = selectors.catch_up(conversation, since), False
    else:
        before = None
        if request.GET.get("before"):
            before = _message_or_404(conversation, request.GET["before"])
        rows, has_more = selectors.history(conversation, before=before)
    return JsonResponse(
        {
            "conversation": presenters.conversation_json(conversation),
            "messages": [presenters.message_json(m) for m in rows],
            "has_more": has_more,
            "cursor": cursor,
        }
    )


def _message_or_404(conversation: Conversation, message_id) -> Message:
    try:
        return get_for_tenant_or_404(
            Message.objects.filter(conversation=conversation), conversation.tenant_id, pk=message_id
        )
    except ValidationError:  # not a UUID
        raise Http404 from None


@require_POST
@agent_view
def send(request, pk):
    """The composer: a text (``body``), optionally replying to ``quoted``; ``note=1`` keeps it
    inside the team as an internal note."""
    conversation = _conversation(request, pk)
    body = request.POST.get("body", "").strip()
    if not body:
        return _error(_("Write something first."))
    if _signed(request) and request.POST.get("note") != "1":
        body = signatures.sign(body, request.user)
    if len(body) > MAX_TEXT:
        return _error(_("The text is too long (at most %(max)d characters).") % {"max": MAX_TEXT})
    if request.POST.get("note") == "1":
        message = notes.add_note(conversation, body, by=request.user)
    else:
        if refusal := _writable(conversation):
            return refusal
        quoted = None
        if request.POST.get("quoted"):
            quoted = _message_or_404(conversation, request.POST["quoted"])
        message = outbox.queue_text(conversation, body, by=request.user, quoted=quoted)
    return _message_answer(message)


def _writable(conversation: Conversation) -> JsonResponse | None:
    """Why nothing can be sent to the customer of ``conversation`` now, if so."""
    if conversation.status == Conversation.Status.CLOSED:
        return _error(_("The conversation is closed: reopen it to write to the customer."))
    if conversation.instance_id is None:
        return _error(_("The WhatsApp number of this chat was deleted."))
    return None


@require_POST
@agent_view
def upload(request, pk):
    """The composer's file: ``file`` (image, audio, video or document), an optional
    ``caption``, optionally replying to ``quoted``."""
    conversation = _conversation(request, pk)
    if refusal := _writable(conversation):
        return refusal
    caption = request.POST.get("caption", "").strip()
    if _signed(request):
        caption = signatures.sign(caption, request.user)
    if len(caption) > MAX_TEXT:
        return _error(_("The text is too long (at most %(max)d characters).") % {"max": MAX_TEXT})
    quoted = None
    if request.POST.get("quoted"):
        quoted = _message_or_404(conversation, request.POST["quoted"])
    try:
        file = uploads.check(request.FILES.get("file"), caption=caption)
    except ValidationError as exc:
        return _refusal(exc)
    message = outbox.queue_file(conversation, file, caption=caption, by=request.user, quoted=quoted)
    return _message_answer(message)


def _signed(request) -> bool:
    """The composer's "Sign" box: the agent's signature goes with the text or caption."""
    return request.POST.get("sign") == "1"


@require_POST
@agent_view
def signature(request):
    """The user's own signature, edited on the chat page (admins also edit it in Users)."""
    try:
        signatures.update(
            request.user,
            signature=request.POST.get("signature", ""),
            position=request.POST.get("position", ""),
        )
    except ValidationError as exc:
        return _refusal(exc)
    return JsonResponse(
        {
            "signature": request.user.chat_signature,
            "position": request.user.chat_signature_position,
            "shown": signatures.signature_of(request.user),
        }
    )


def _message_answer(message: Message, status: int = 201) -> JsonResponse:
    message = presenters.messages_for_page(Message.objects.filter(pk=message.pk)).get()
    return JsonResponse({"message": presenters.message_json(message)}, status=status)


@require_GET
@agent_view
def quick_reply_list(request, pk):
    """The quick replies the user may use, filled for this conversation's contact."""
    conversation = _conversation(request, pk)
    return JsonResponse({"replies": quick_replies.for_conversation(request.user, conversation)})


@require_POST
@agent_view
def mark_read(request, pk):
    conversation = _conversation(request, pk)
    return JsonResponse({"marked": reading.open_conversation(conversation)})


@require_POST
@agent_view
def retry(request, pk):
    message = get_visible_or_404(Message, request.user, pk=pk)
    if message.type == Message.Type.NOTE or not sending.retry(message):
        return _error(_("Only a failed message can be sent again."))
    return JsonResponse({"queued": True})


@require_POST
@agent_view
def react(request, pk):
    """Our reaction (``emoji``; empty takes it back) to a customer's message, on WhatsApp."""
    target = get_visible_or_404(Message, request.user, pk=pk)
    conversation = _conversation(request, target.conversation_id)
    if refusal := _writable(conversation):
        return refusal
    emoji = request.POST.get("emoji", "").strip()
    try:
        reactions.check(target, emoji)
    except ValidationError as exc:
        return _refusal(exc)
    outbox.queue_reaction(target, emoji, by=request.user)
    return _message_answer(target, status=200)  # it, with our reaction


@require_POST
@agent_view
def act(request, pk, action):
    """claim, close, reopen, transfer (``department`` and/or ``agent``, ``reason``)."""
    if action not in ACTIONS:
        raise Http404
    conversation = _conversation(request, pk)
    user = request.user
    try:
        if action == routing.CLAIM:
            routing.claim(conversation, by=user)
        elif action == routing.CLOSE:
            routing.close(conversation, by=user)
        elif action == routing.REOPEN:
            routing.reopen(conversation, by=user)
        else:
            department = agent = None
            if request.POST.get("department"):
                department = _by_id_or_404(Department, conversation, request.POST["department"])
            if request.POST.get("agent"):
                agent = _by_id_or_404(User, conversation, request.POST["agent"])
            routing.transfer(
                conversation,
                department=department,
                agent=agent,
                reason=request.POST.get("reason", ""),
                by=user,
            )
    except (PermissionDenied, ValidationError) as exc:
        return _refusal(exc)
    still_visible = Conversation.objects.visible_to(user).filter(pk=conversation.pk).exists()
    conversation = presenters.conversations_for_page(Conversation.objects.filter(pk=pk)).get()
    return JsonResponse(
        {
            "conversation": presenters.conversation_json(conversation),
            "visible": still_visible,
            "actions": sorted(routing.available_actions(user, conversation))
            if still_visible
            else [],
        }
    )


def _by_id_or_404(model, conversation: Conversation, pk):
    try:
        return get_for_tenant_or_404(model, conversation.tenant_id, pk=pk)
    except (ValidationError, ValueError):
        raise Http404 from None
