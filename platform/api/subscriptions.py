from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api import webhooks
from api.idempotency import idempotent
from api.models import WebhookSubscription
from api.views import TenantViewSetMixin


class SubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.MultipleChoiceField(choices=list(webhooks.EVENTS))

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "events",
            "description",
            "is_active",
            "disabled_reason",
            "created_at",
        ]
        read_only_fields = ["is_active", "disabled_reason", "created_at"]

    def validate_events(self, value):
        return webhooks.clean_events(value)

    def validate_url(self, value):
        webhooks.check_url(value)
        return value

    def to_representation(self, subscription):
        data = super().to_representation(subscription)
        data["events"] = list(subscription.events)
        return data

    def create(self, validated):
        return WebhookSubscription.objects.create(tenant=self.context["tenant"], **validated)


class CreatedSubscriptionSerializer(SubscriptionSerializer):
    """The answer to a creation, the only one that carries the signing secret."""

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


SUBSCRIPTION_EXAMPLE = {
    "url": "https://erp.example.com/alrea/webhooks",
    "events": ["message.received", "message.status"],
    "description": "ERP",
}


@extend_schema_view(
    list=extend_schema(summary="List webhook subscriptions"),
    retrieve=extend_schema(summary="Get a webhook subscription"),
    destroy=extend_schema(summary="Delete a webhook subscription"),
    create=extend_schema(
        summary="Subscribe a URL to events (the answer holds the signing secret, once)",
        responses={201: CreatedSubscriptionSerializer},
        examples=[
            OpenApiExample("ERP", value=SUBSCRIPTION_EXAMPLE, request_only=True),
            OpenApiExample(
                "Created",
                value={
                    **SUBSCRIPTION_EXAMPLE,
                    "id": "0193f1c6-8f4a-7c1e-9a51-6f1f2b3c4d80",
                    "is_active": True,
                    "created_at": "2026-12-04T13:00:00Z",
                    "secret": "whsec_…",
                },
                response_only=True,
            ),
        ],
    ),
)
class SubscriptionViewSet(
    TenantViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    api_area = "webhooks"
    model = WebhookSubscription
    serializer_class = SubscriptionSerializer
    # Sending a test writes nothing here, but it makes us call the integrator's server.
    api_write_actions = ("test",)

    @idempotent
    def create(self, request, *args, **kwargs):
        subscription = self.get_serializer(data=request.data)
        subscription.is_valid(raise_exception=True)
        created = subscription.save()
        return Response(
            CreatedSubscriptionSerializer(created, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Send a signed ping to the URL now",
        request=None,
        responses={200: dict},
        examples=[
            OpenApiExample(
                "Delivered",
                value={
                    "delivered": True,
                    "status_code": 200,
                    "error": "",
                    "response": "ok",
                    "duration_ms": 84,
                },
                response_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        return Response(webhooks.deliver_test(self.get_object()))
