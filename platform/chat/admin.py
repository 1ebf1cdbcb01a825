"""Conversations and messages: the gateway writes them, the admin reads them; a conversation's
routing (claim, assign, transfer, close, reopen) runs through chat.routing from its buttons."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import StackedInline
from unfold.contrib.filters.admin import RangeDateFilter

from admin_ext.buttons import ObjectButtonsMixin
from admin_ext.display import excerpt, pretty_json, status_badge
from admin_ext.paginators import CappedCountPaginator
from admin_ext.permissions import ReadOnlyRecordAdmin
from admin_ext.tenant_admin import TenantModelAdmin
from chat import admin_quick_replies, routing, sending  # noqa: F401  (its own admin module)
from chat.forms import AssignForm, TransferForm
from chat.models import Attachment, Conversation, ConversationEvent, Message
from contacts.admin import PHONE_LIKE
from contacts.services import normalize_for
from tenancy.models import Tenant

TRANSCRIPT_LENGTH = 200

MESSAGE_COLOURS = {
    Message.Status.SENT: "info",
    Message.Status.DELIVERED: "info",
    Message.Status.READ: "success",
    Message.Status.PLAYED: "success",
    Message.Status.FAILED: "danger",
}
# When each delivery step happened, in the order they happen.
STATUS_TIMES = ["sent_at", "delivered_at", "read_at", "played_at", "failed_at"]


def messages_of(conversation_id):
    """A conversation's messages, ready to render: reactions hang off the message they react
    to instead of standing as messages of their own."""
    return (
        Message.objects.filter(conversation_id=conversation_id, reaction_to__isnull=True)
        .select_related("attachment", "quoted", "sent_by")
        .prefetch_related(Prefetch("reactions", Message.objects.order_by("timestamp")))
    )


def message_list_url(conversation) -> str:
    return f"{reverse('admin:chat_message_changelist')}?conversation__id__exact={conversation.pk}"


class HistoryAdmin(ReadOnlyRecordAdmin, TenantModelAdmin):
    """Changelists over tables that grow without end: no full count, capped pages."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    list_filter_submit = True


def form_errors(form) -> ValidationError:
    return ValidationError([error for errors in form.errors.values() for error in errors])


@admin.register(Conversation)
class ConversationAdmin(ObjectButtonsMixin, HistoryAdmin):
    list_display = [
        "__str__",
        "instance",
        "status_label",
        "department",
        "assigned_to",
        "last_message_at",
        "preview",
        "unread_count",
        "tenant",
    ]
    list_filter = ["tenant", "instance", "status", "department", "kind", "assigned_to"]
    list_select_related = ["contact", "instance", "department", "assigned_to", "tenant"]
    search_fields = ["remote_jid"]  # turns the box on; get_search_results decides
    search_help_text = _("Contact name, phone or WhatsApp chat id")
    readonly_fields = ["transcript", "timeline"]
    change_form_outer_before_template = "admin/chat/conversation/routing_panel.html"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "tenant",
                    "instance",
                    "contact",
                    "name",
                    "remote_jid",
                    "kind",
                    "status",
                    "department",
                    "assigned_to",
                ]
            },
        ),
        (
            _("Activity"),
            {"fields": ["last_message_at", "unread_count", "created_at", "closed_at"]},
        ),
        (_("Messages"), {"fields": ["transcript"]}),
        (_("Timeline"), {"fields": ["timeline"]}),
    ]

    status_label = status_badge(
        {Conversation.Status.PENDING: "warning", Conversation.Status.OPEN: "success"}
    )

    @admin.display(description=_("last message text"))
    def preview(self, obj):
        return excerpt(obj.last_message_preview, 60)

    @admin.display(description=_("messages"))
    def transcript(self, obj):
        newest = list(messages_of(obj.pk).order_by("-timestamp")[: TRANSCRIPT_LENGTH + 1])
        shown = newest[:TRANSCRIPT_LENGTH][::-1]  # newest last, as a chat reads
        for message in shown:
            message.status_times = [
                (Message._meta.get_field(name).verbose_name, getattr(message, name))
                for name in STATUS_TIMES
                if getattr(message, name)
            ]
        return render_to_string(
            "admin/chat/conversation/transcript.html",
            {
                "messages": shown,
                "has_older": len(newest) > TRANSCRIPT_LENGTH,
                "limit": TRANSCRIPT_LENGTH,
                "all_url": message_list_url(obj),
            },
        )

    @admin.display(description=_("timeline"))
    def timeline(self, obj):
        events = ConversationEvent.objects.filter(conversation=obj).select_related(
            "actor", "from_department", "to_department", "from_agent", "to_agent"
        )
        return render_to_string("admin/chat/conversation/timeline.html", {"events": events})

    # --- routing: a list action and the page's buttons --------------------------------------
    actions = ["close_selected"]

    def has_route_permission(self, request, obj=None):
        # Nobody edits a conversation's fields; whoever sees it may route it as their role
        # allows, which chat.routing decides.
        return self.has_view_permission(request, obj)

    @admin.action(description=_("Close the selected conversations"), permissions=["route"])
    def close_selected(self, request, queryset):
        closed = 0
        for chat in queryset.select_related("contact"):
            try:
                routing.close(chat, by=request.user)
            except (ValidationError, PermissionDenied) as error:
                reason = " ".join(getattr(error, "messages", None) or [str(error)])
                self.message_user(request, f"{chat}: {reason}", messages.ERROR)
            else:
                closed += 1
        if closed:
            done = ngettext("%(n)s conversation closed.", "%(n)s conversations closed.", closed)
            self.message_user(request, done % {"n": closed}, messages.SUCCESS)

    def may_press_buttons(self, request, obj) -> bool:
        return self.has_route_permission(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.may_press_buttons(request, obj):
            context.update(
                routing_actions=routing.available_actions(request.user, obj),
                assign_form=AssignForm(conversation=obj),
                transfer_form=TransferForm(conversation=obj),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def object_button(self, request, object_id, run, done):
        response = super().object_button(request, object_id, run, done)
        if not self.get_queryset(request).filter(pk=object_id).exists():
            # Transferred out of the user's queues: its page would now answer 404.
            return HttpResponseRedirect(reverse("admin:chat_conversation_changelist"))
        return response

    def get_urls(self):
        def route(suffix, view):
            return path(
                f"<path:object_id>/{suffix}/",
                self.admin_site.admin_view(view),
                name=f"chat_conversation_{suffix}",
            )

        return [
            route("claim", self.claim_view),
            route("assign", self.assign_view),
            route("transfer", self.transfer_view),
            route("close", self.close_view),
            route("reopen", self.reopen_view),
            *super().get_urls(),
        ]

    def claim_view(self, request, object_id):
        return self.object_button(
            request,
            object_id,
            lambda chat: routing.claim(chat, by=request.user),
            gettext("The conversation is yours."),
        )

    def assign_view(self, request, object_id):
        def run(chat):
            form = AssignForm(request.POST, conversation=chat)
            if not form.is_valid():
                raise form_errors(form)
            routing.assign(chat, form.cleaned_data["agent"], by=request.user)

        return self.object_button(
            request, object_id, run, gettext("The conversation was assigned.")
        )

    def transfer_view(self, request, object_id):
        def run(chat):
            form = TransferForm(request.POST, conversation=chat)
            if not form.is_valid():
                raise form_errors(form)
            routing.transfer(chat, **form.cleaned_data, by=request.user)

        return self.object_button(
            request, object_id, run, gettext("The conversation was transferred.")
        )

    def close_view(self, request, object_id):
        return self.object_button(
            request,
            object_id,
            lambda chat: routing.close(chat, by=request.user),
            gettext("The conversation is closed."),
        )

    def reopen_view(self, request, object_id):
        return self.object_button(
            request,
            object_id,
            lambda chat: routing.reopen(chat, by=request.user),
            gettext("The conversation was reopened."),
        )

    def get_search_results(self, request, queryset, search_term):
        # One kind of condition per kind of term, as the contacts list does.
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term:
            return queryset.filter(remote_jid=term), False
        if PHONE_LIKE.fullmatch(term):
            tenant = request.user.tenant or Tenant(country="BR")
            try:
                phone = normalize_for(tenant, term)
            except ValidationError:
                return queryset.filter(remote_jid__startswith=term), False
            return queryset.filter(
                Q(contact__phone=phone) | Q(remote_jid__startswith=f"{phone[1:]}@")
            ), False
        return queryset.filter(Q(contact__name__icontains=term) | Q(name__icontains=term)), False


class AttachmentInline(ReadOnlyRecordAdmin, StackedInline):
    model = Attachment
    extra = 0
    readonly_fields = ["preview"]
    fields = [
        "preview",
        "status",
        "mimetype",
        "file_name",
        "size",
        "seconds",
        "width",
        "height",
        "is_voice_note",
        "storage",
        "storage_key",
        "error",
    ]

    @admin.display(description=_("file"))
    def preview(self, obj):
        return render_to_string("media/attachment.html", {"attachment": obj})

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("chat.view_message")  # part of its message

    def has_delete_permission(self, request, obj=None):
        return False  # it goes with its message


@admin.register(Message)
class MessageAdmin(HistoryAdmin):
    list_display = [
        "timestamp",
        "conversation",
        "instance",
        "direction",
        "type",
        "text",
        "status_label",
        "tenant",
    ]
    list_filter = [
        "tenant",
        "conversation__instance",
        "status",
        "direction",
        "type",
        ("timestamp", RangeDateFilter),
    ]
    list_select_related = ["conversation__contact", "conversation__instance", "tenant"]
    search_fields = ["=provider_id"]
    search_help_text = _("WhatsApp message id")
    ordering = ["-timestamp"]
    inlines = [AttachmentInline]
    readonly_fields = ["raw_metadata"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "tenant",
                    "conversation",
                    "direction",
                    "type",
                    "body",
                    "caption",
                    "timestamp",
                    "sender_jid",
                    "sender_name",
                    "sent_by",
                    "quoted",
                    "quoted_provider_id",
                    "reaction_to",
                ]
            },
        ),
        (
            _("Delivery"),
            {
                "fields": [
                    "provider_id",
                    "status",
                    *STATUS_TIMES,
                    "error",
                    "deleted_at",
                    "created_at",
                ]
            },
        ),
        (_("As received"), {"fields": ["raw_metadata"]}),
    ]

    status_label = status_badge(MESSAGE_COLOURS)
    actions = ["send_again"]

    @admin.action(description=_("Send the failed messages again"), permissions=["view"])
    def send_again(self, request, queryset):
        # The changelist is already limited to the conversations this user may see.
        failed = queryset.filter(status=Message.Status.FAILED)
        queued = sum(sending.retry(message) for message in failed)
        skipped = queryset.count() - queued
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", queued)
            % {"count": queued},
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d was left alone: only failed messages of ours are sent again.",
                    "%(count)d were left alone: only failed messages of ours are sent again.",
                    skipped,
                )
                % {"count": skipped},
                level=messages.WARNING,
            )

    @admin.display(description=_("instance"))
    def instance(self, obj):
        return obj.conversation.instance

    @admin.display(description=_("text"))
    def text(self, obj):
        return excerpt(obj.body or obj.caption, 60)

    @admin.display(description=_("raw metadata"))
    def raw_metadata(self, obj):
        return pretty_json(obj.metadata)
