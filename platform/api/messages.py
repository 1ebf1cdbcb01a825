from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from api import messaging
from api.contacts import TenantRelatedField
from api.idempotency import idempotent
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


class SendText(serializers.Serializer):
    to = serializers.CharField(
        required=False, max_length=40, help_text=_("A phone number in any format.")
    )
    conversation = TenantRelatedField(queryset=Conversation.objects.all(), required=False)
    instance = TenantRelatedField(
        queryset=WhatsAppInstance.objects.all(),
        required=False,
        help_text=_("The number to send from; by default the conversation's or the company's."),
    )
    text = serializers.CharField(max_length=4096, trim_whitespace=False)

    def validate_to(self, value):
        return normalize_for(self.context["tenant"], value)

    def validate(self, attrs):
        if bool(attrs.get("to")) == bool(attrs.get("conversation")):
            raise serializers.ValidationError(_("Send either “to” or “conversation”."))
        if not attrs["text"].strip():
            raise serializers.ValidationError({"text": [_("The text is empty.")]})
        return attrs


SENT_EXAMPLE = {
    "id": "0193f1c6-8f4a-7c1e-9a51-6f1f2b3c4d70",
    "conversation": "0193f1c6-8f4a-7c1e-9a51-6f1f2b3c4d71",
    "direction": "out",
    "type": "text",
    "body": "Seu pedido 4711 saiu para entrega.",
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
        summary="Send a text (queued; answered at once with the message id)",
        request=SendText,
        responses={202: MessageSerializer},
        examples=[
            OpenApiExample(
                "To a phone",
                value={"to": "(11) 98765-4321", "text": "Seu pedido 4711 saiu para entrega."},
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
        send = SendText(data=request.data, context=self.get_serializer_context())
        send.is_valid(raise_exception=True)
        chosen = send.validated_data
        message = messaging.send_text(
            self.tenant,
            chosen["text"],
            phone=chosen.get("to", ""),
            conversation=chosen.get("conversation"),
            instance=chosen.get("instance"),
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_202_ACCEPTED)
