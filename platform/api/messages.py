from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from api import messaging
from api.contacts import TenantRelatedField
from api.idempotency import idempotent
from api.media import MediaInput, checked_file
from api.views import TenantViewSetMixin
from chat.models import Conversation, Message
from contacts.services import normalize_for
from whatsapp.models import WhatsAppInstance


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = [
            "id",
            "conversation",
            "direction",
            "type",
            "body",
            "caption",
            "status",
            "error",
            "provider_id",
            "timestamp",
            "sent_at",
            "delivered_at",
            "read_at",
            "failed_at",
        ]
        read_only_fields = fields


class SendMessage(serializers.Serializer):
    to = serializers.CharField(
        required=False, max_length=40, help_text=_("A phone number in any format.")
    )
    conversation = TenantRelatedField(queryset=Conversation.objects.all(), required=False)
    instance = TenantRelatedField(
        queryset=WhatsAppInstance.objects.all(),
        required=False,
        help_text=_("The number to send from; by default the conversation's or the company's."),
    )
    text = serializers.CharField(
        required=False, max_length=4096, trim_whitespace=False, help_text=_("A text message.")
    )
    media = MediaInput(
        required=False,
        help_text=_(
            "Or a file: an image (JPEG, PNG, WebP) is sent as a picture, audio as a voice note, "
            "MP4 as a video, anything else as a document."
        ),
    )
    caption = serializers.CharField(
        required=False,
        max_length=1024,
        allow_blank=True,
        help_text=_("With media (not audio): the text under the file."),
    )

    def validate_to(self, value):
        return normalize_for(self.context["tenant"], value)

    def validate(self, attrs):
        if bool(attrs.get("to")) == bool(attrs.get("conversation")):
            raise serializers.ValidationError(_("Send either “to” or “conversation”."))
        if ("text" in attrs) == ("media" in attrs):
            raise serializers.ValidationError(_("Send either “text” or “media”."))
        if "text" in attrs and not attrs["text"].strip():
            raise serializers.ValidationError({"text": [_("The text is empty.")]})
        if attrs.get("caption") and "media" not in attrs:
            raise serializers.ValidationError({"caption": [_("A caption goes with media.")]})
        return attrs


SENT_EXAMPLE = {
    "id": "0193f1c6-8f4a-7c1e-9a51-6f1f2b3c4d70",
    "conversation": "0193f1c6-8f4a-7c1e-9a51-6f1f2b3c4d71",
    "direction": "out",
    "type": "text",
    "body": "Seu pedido 4711 saiu para entrega.",
    "caption": "",
    "status": "pending",
    "error": "",
    "provider_id": "",
    "timestamp": "2026-12-04T13:00:00Z",
    "sent_at": None,
    "delivered_at": None,
    "read_at": None,
    "failed_at": None,
}


@extend_schema_view(
    retrieve=extend_schema(
        summary="Get a message and its status",
        examples=[OpenApiExample("Delivered", value={**SENT_EXAMPLE, "status": "delivered"})],
    ),
    create=extend_schema(
        summary="Send a text or a file (queued; answered at once with the message id)",
        request=SendMessage,
        responses={202: MessageSerializer},
        examples=[
            OpenApiExample(
                "To a phone",
                value={"to": "(11) 98765-4321", "text": "Seu pedido 4711 saiu para entrega."},
                request_only=True,
            ),
            OpenApiExample(
                "A document by URL",
                value={
                    "to": "(11) 98765-4321",
                    "media": {
                        "url": "https://erp.example.com/invoices/4711.pdf",
                        "filename": "Nota fiscal 4711.pdf",
                    },
                    "caption": "Sua nota fiscal",
                },
                request_only=True,
            ),
            OpenApiExample(
                "An image in base64",
                value={
                    "conversation": "0193f1c6-8f4a-7c1e-9a51-6f1f2b3c4d71",
                    "media": {"base64": "iVBORw0KGgoAAAANSUhEUgAA…", "filename": "produto.png"},
                    "caption": "Chegou em azul!",
                },
                request_only=True,
            ),
            OpenApiExample("Queued", value=SENT_EXAMPLE, response_only=True),
        ],
    ),
)
class MessageViewSet(
    TenantViewSetMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    api_area = "messages"
    model = Message
    serializer_class = MessageSerializer

    @idempotent
    def create(self, request, *args, **kwargs):
        send = SendMessage(data=request.data, context=self.get_serializer_context())
        send.is_valid(raise_exception=True)
        chosen = send.validated_data
        caption = chosen.get("caption", "")
        file = checked_file(chosen["media"], caption=caption) if "media" in chosen else None
        message = messaging.send(
            self.tenant,
            text=chosen.get("text", ""),
            file=file,
            caption=caption,
            phone=chosen.get("to", ""),
            conversation=chosen.get("conversation"),
            instance=chosen.get("instance"),
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_202_ACCEPTED)
