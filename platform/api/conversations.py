"""Conversations over the API: list, read with messages, assign, close. Transitions are the
chat.routing services called as the system (``by=None``): the key acts for the company."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import User
from api.contacts import TenantRelatedField
from api.messages import MessageSerializer
from api.views import TenantViewSetMixin
from chat import routing
from chat.models import Conversation

MESSAGES_SHOWN = 50


class ConversationSerializer(serializers.ModelSerializer):
    phone = serializers.CharField(source="contact.phone", default=None, read_only=True)
    assigned_to = serializers.EmailField(source="assigned_to.email", default=None, read_only=True)
    department = serializers.CharField(source="department.name", default=None, read_only=True)

    class Meta:
        model = Conversation
        fields = [
            "id",
            "instance",
            "contact",
            "phone",
            "kind",
            "name",
            "status",
            "department",
            "assigned_to",
            "last_message_at",
            "last_message_preview",
            "unread_count",
            "created_at",
            "closed_at",
        ]
        read_only_fields = fields


class ConversationWithMessages(ConversationSerializer):
    messages = serializers.SerializerMethodField()

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "messages"]
        read_only_fields = fields

    def get_messages(self, conversation) -> list[dict]:
        latest = conversation.messages.order_by("-timestamp")[:MESSAGES_SHOWN]
        return MessageSerializer(reversed(list(latest)), many=True).data


class AssignTo(serializers.Serializer):
    agent = TenantRelatedField(
        queryset=User.objects.all(), help_text=_("The id of a user of the company.")
    )


class ConversationFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=Conversation.Status.choices, required=False)
    contact = serializers.UUIDField(required=False)


@extend_schema_view(
    list=extend_schema(
        summary="List conversations, most recent first",
        parameters=[
            OpenApiParameter("status", str, enum=Conversation.Status.values),
            OpenApiParameter("contact", str, description="A contact id."),
        ],
    ),
    retrieve=extend_schema(
        summary=f"Get a conversation with its last {MESSAGES_SHOWN} messages",
        responses=ConversationWithMessages,
    ),
)
class ConversationViewSet(TenantViewSetMixin, viewsets.ReadOnlyModelViewSet):
    api_area = "conversations"
    model = Conversation
    serializer_class = ConversationSerializer
    api_write_actions = ("assign", "close")

    def get_queryset(self):
        rows = super().get_queryset().select_related("contact", "assigned_to", "department")
        if self.action != "list":
            return rows
        filters = ConversationFilters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        chosen = filters.validated_data
        if chosen.get("status"):
            rows = rows.filter(status=chosen["status"])
        if chosen.get("contact"):
            rows = rows.filter(contact_id=chosen["contact"])
        return rows

    def get_serializer_class(self):
        return ConversationWithMessages if self.action == "retrieve" else ConversationSerializer

    @extend_schema(
        summary="Assign the conversation to an agent of its department",
        request=AssignTo,
        responses=ConversationSerializer,
        examples=[
            OpenApiExample(
                "Agent", value={"agent": "0193f1c6-8f4a-7c1e-9a51-6f1f2b3c4d90"}, request_only=True
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        chosen = AssignTo(data=request.data, context=self.get_serializer_context())
        chosen.is_valid(raise_exception=True)
        conversation = routing.assign(self.get_object(), chosen.validated_data["agent"], by=None)
        return Response(ConversationSerializer(conversation).data)

    @extend_schema(summary="Close the conversation", request=None, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        conversation = routing.close(self.get_object(), by=None)
        return Response(ConversationSerializer(conversation).data)
