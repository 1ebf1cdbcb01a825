"""Conversations with customers and their messages, shared by the gateway, chat and campaigns."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from tenancy.models import TenantOwned, TenantQuerySet


class ChatQuerySet(TenantQuerySet):
    """Conversations and what hangs off them: agents also see the Inbox, the conversations with
    no department and no agent yet, so any of them can pick one up."""

    def visible_to(self, user):
        rows = super().visible_to(user)
        if user.is_superuser or getattr(user, "role", None) != Role.AGENT:
            return rows
        inbox = self.for_tenant(user.tenant_id).filter(
            **{
                f"{self.model.visibility_department_field}__isnull": True,
                f"{self.model.visibility_owner_field}__isnull": True,
            }
        )
        return rows | inbox


class Conversation(TenantOwned):
    """One chat of an instance (a person or a group): it is reopened, never duplicated."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Inbox")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        GROUP = "group", _("Group")

    visibility_department_field = "department"
    visibility_owner_field = "assigned_to"
    objects = ChatQuerySet.as_manager()

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # History outlives the number: deleting an instance keeps its conversations.
    instance = models.ForeignKey(
        "whatsapp.WhatsAppInstance",
        on_delete=models.SET_NULL,
        null=True,
        related_name="conversations",
        verbose_name=_("instance"),
    )
    # The chat's JID: the phone JID for a person when WhatsApp gave one, else its @lid; the
    # @g.us id for a group.
    remote_jid = models.CharField(_("WhatsApp chat id"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.INDIVIDUAL)
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("contact"),
    )
    name = models.CharField(
        _("name"), max_length=150, blank=True, help_text=_("A group's subject.")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("department"),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
        verbose_name=_("agent"),
    )
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    last_message_preview = models.CharField(_("last message text"), max_length=200, blank=True)
    unread_count = models.PositiveIntegerField(_("unread"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["instance", "remote_jid"], name="conversation_one_per_chat"
            )
        ]
        indexes = [
            models.Index(
                fields=["tenant", "status", "-last_message_at"], name="conversation_queue"
            ),
            models.Index(fields=["tenant", "-last_message_at"], name="conversation_recent"),
            models.Index(fields=["department", "status"], name="conversation_department"),
            models.Index(fields=["assigned_to", "status"], name="conversation_agent"),
        ]

    def __str__(self):
        if self.contact_id and self.contact:
            return str(self.contact)
        return self.name or self.remote_jid

    @property
    def is_group(self) -> bool:
        return self.kind == self.Kind.GROUP


class Message(TenantOwned):
    class Direction(models.TextChoices):
        INBOUND = "in", _("Received")
        OUTBOUND = "out", _("Sent")

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        IMAGE = "image", _("Image")
        AUDIO = "audio", _("Audio")
        VIDEO = "video", _("Video")
        DOCUMENT = "document", _("Document")
        STICKER = "sticker", _("Sticker")
        LOCATION = "location", _("Location")
        CONTACT = "contact", _("Contact card")
        REACTION = "reaction", _("Reaction")
        # An agent's internal note (chat.notes): never sent to the customer.
        NOTE = "note", _("Internal note")
        UNSUPPORTED = "unsupported", _("Unsupported")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        # Claimed by the chat.send consumer: the call to Evolution is under way or its answer
        # was lost (a timeout), which a reconciler settles.
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        PLAYED = "played", _("Played")
        FAILED = "failed", _("Failed")

    # A message is seen by whoever sees its conversation (ChatQuerySet.visible_to).
    visibility_department_field = "conversation__department"
    visibility_owner_field = "conversation__assigned_to"
    objects = ChatQuerySet.as_manager()

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices, default=Type.TEXT)
    body = models.TextField(_("text"), blank=True)
    caption = models.TextField(_("caption"), blank=True)
    # WhatsApp's message id (key.id); empty until an outbound message has been sent.
    provider_id = models.CharField(_("WhatsApp message id"), max_length=128, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    played_at = models.DateTimeField(_("played at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    deleted_at = models.DateTimeField(
        _("deleted for everyone at"), null=True, blank=True, help_text=_("The text is kept.")
    )
    quoted = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("reply to"),
    )
    # The quoted message's WhatsApp id, kept when that message is not stored here.
    quoted_provider_id = models.CharField(max_length=128, blank=True)
    reaction_to = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reactions",
        verbose_name=_("reaction to"),
    )
    # Groups: who wrote it (a phone JID when known, else an @lid).
    sender_jid = models.CharField(_("sender"), max_length=128, blank=True)
    sender_name = models.CharField(_("sender name"), max_length=150, blank=True)
    campaign_recipient = models.ForeignKey(
        "campaigns.CampaignRecipient",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("campaign"),
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    # The message object as Evolution sent it (content, contextInfo): media is fetched with it.
    metadata = models.JSONField(_("raw metadata"), default=dict, blank=True)
    timestamp = models.DateTimeField(_("time"), help_text=_("When WhatsApp says it was sent."))
    created_at = models.DateTimeField(_("stored at"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["timestamp"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "provider_id"],
                condition=~models.Q(provider_id=""),
                name="message_once_per_conversation",
            )
        ]
        indexes = [
            models.Index(fields=["conversation", "-timestamp"], name="message_history"),
            models.Index(fields=["tenant", "provider_id"], name="message_provider_id"),
            models.Index(fields=["tenant", "-timestamp"], name="message_recent"),
            models.Index(fields=["tenant", "status", "-timestamp"], name="message_status"),
        ]

    def __str__(self):
        return (self.body or self.caption or self.get_type_display())[:60]


class Attachment(TenantOwned):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for download")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    class Storage(models.TextChoices):
        FILESYSTEM = "filesystem", _("Server disk")
        S3 = "s3", _("S3")

    visibility_department_field = "message__conversation__department"
    visibility_owner_field = "message__conversation__assigned_to"
    objects = ChatQuerySet.as_manager()

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="attachment")
    mimetype = models.CharField(_("content type"), max_length=128, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    seconds = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    is_voice_note = models.BooleanField(_("voice note"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    # Where the file is (media.storage): files stored before S3 was configured stay readable on
    # the disk until media.migrate_s3 moves them. Empty until it is stored.
    storage = models.CharField(_("stored in"), max_length=16, choices=Storage.choices, blank=True)
    storage_key = models.CharField(_("storage key"), max_length=500, blank=True)
    thumbnail_key = models.CharField(_("thumbnail key"), max_length=500, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["tenant", "status"], name="attachment_status")]

    def __str__(self):
        return self.file_name or str(self.message)


class ConversationEvent(TenantOwned):
    """One step of a conversation's routing, for its timeline (written by chat.routing)."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Started")
        CLAIMED = "claimed", _("Claimed")
        ASSIGNED = "assigned", _("Assigned")
        TRANSFERRED = "transferred", _("Transferred")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")

    visibility_department_field = "conversation__department"
    visibility_owner_field = "conversation__assigned_to"
    objects = ChatQuerySet.as_manager()

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=16, choices=Kind.choices)
    # Empty when the system did it (a new conversation, a customer writing again).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    from_department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from department"),
    )
    to_department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to department"),
    )
    from_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from agent"),
    )
    to_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to agent"),
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("conversation event")
        verbose_name_plural = _("conversation events")
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="conversation_timeline")
        ]

    def __str__(self):
        return self.get_kind_display()


# --- Composer: quick replies (chat.quick_replies) -------------------------------------------


class QuickReplyQuerySet(TenantQuerySet):
    def visible_to(self, user):
        """The company's replies for everyone, a department's for its members (the whole
        company's for its admins)."""
        if user.is_superuser:
            return self
        rows = self.for_tenant(getattr(user, "tenant_id", None))
        if user.sees_whole_tenant:
            return rows
        return rows.filter(
            models.Q(department__isnull=True)
            | models.Q(department__in=user.departments.values("pk"))
        )


class QuickReply(TenantOwned):
    """A saved answer agents insert by typing ``/`` and its shortcut in the chat's composer."""

    objects = QuickReplyQuerySet.as_manager()

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    shortcut = models.SlugField(
        _("shortcut"),
        max_length=40,
        allow_unicode=True,
        help_text=_("Typed after / in the chat, e.g. boleto."),
    )
    text = models.TextField(
        _("text"),
        max_length=4096,
        help_text=_("Variables such as {{nome}} and {{primeiro_nome}} are filled for the contact."),
    )
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
        help_text=_("Empty: offered to everyone in the company."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("quick reply")
        verbose_name_plural = _("quick replies")
        ordering = ["shortcut"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "shortcut"], name="quick_reply_shortcut")
        ]

    def __str__(self):
        return f"/{self.shortcut}"
