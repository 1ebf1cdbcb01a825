from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from api.views import TenantViewSetMixin
from whatsapp.models import WhatsAppInstance


class InstanceSerializer(serializers.ModelSerializer):
    connected = serializers.BooleanField(source="is_connected", read_only=True)

    class Meta:
        model = WhatsAppInstance
        fields = [
            "id",
            "name",
            "phone_number",
            "profile_name",
            "state",
            "connected",
            "state_changed_at",
            "is_active",
            "health_score",
            "daily_send_limit",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="List WhatsApp instances with their connection state",
        examples=[
            OpenApiExample(
                "Connected number",
                value=[
                    {
                        "id": "0193f1c6-8f4a-7c1e-9a51-6f1f2b3c4d60",
                        "name": "Vendas",
                        "phone_number": "+5511912345678",
                        "profile_name": "Acme Vendas",
                        "state": "open",
                        "connected": True,
                        "state_changed_at": "2026-12-04T12:00:00Z",
                        "is_active": True,
                        "health_score": 100,
                        "daily_send_limit": 1000,
                        "created_at": "2026-12-01T12:00:00Z",
                    }
                ],
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(summary="Get a WhatsApp instance"),
)
class InstanceViewSet(TenantViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Read only: instances are connected (QR code) by people in the admin. Listed with the
    ``messages:read`` scope, since an integrator lists them to choose the sending number."""

    api_area = "messages"
    serializer_class = InstanceSerializer
    model = WhatsAppInstance
