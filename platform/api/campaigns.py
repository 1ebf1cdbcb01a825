"""Campaigns over the API: create one with its variations and audience, read it, change it while
it is a draft, start, schedule, pause, resume and cancel it, and read its funnel and recipients.
Every state change is the campaigns.services function the admin calls, run as the key
(``by=None``)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.contacts import TenantRelatedField
from api.pagination import ById
from api.views import TenantViewSetMixin
from campaigns import rendering, services
from campaigns.models import Campaign, CampaignMessage, CampaignRecipient
from contacts.models import ContactList, Tag
from whatsapp.models import WhatsAppInstance

EDITABLE = (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED)


class VariationSerializer(serializers.ModelSerializer):
    class Meta:
        model = CampaignMessage
        fields = ["id", "body", "media_url", "order", "times_used"]
        read_only_fields = ["id", "times_used"]


class CampaignSerializer(serializers.ModelSerializer):
    instances = TenantRelatedField(queryset=WhatsAppInstance.objects.all(), many=True)
    audience_tags = TenantRelatedField(queryset=Tag.objects.all(), many=True, required=False)
    audience_lists = TenantRelatedField(
        queryset=ContactList.objects.all(), many=True, required=False
    )
    variations = VariationSerializer(many=True, help_text=_("Sent in turn, evenly."))
    counts = serializers.SerializerMethodField(help_text=_("Recipients per status, and total."))

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "description",
            "status",
            "status_reason",
            "instances",
            "rotation",
            "interval_min",
            "interval_max",
            "daily_limit_per_instance",
            "window_days",
            "window_start",
            "window_end",
            "min_health",
            "typing_presence",
            "audience_tags",
            "audience_lists",
            "audience_filter",
            "variations",
            "counts",
            "scheduled_at",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "status_reason",
            "scheduled_at",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_counts(self, campaign) -> dict[str, int]:
        return campaign.counts()

    def validate_variations(self, variations):
        if not variations:
            raise serializers.ValidationError(_("Write at least one message."))
        for variation in variations:
            try:
                rendering.validate(variation["body"], self.context["tenant"])
            except ValidationError as error:
                raise serializers.ValidationError(error.messages) from None
        return variations

    def validate(self, data):
        if self.instance is not None and self.instance.status not in EDITABLE:
            raise serializers.ValidationError(
                _("Only a draft or scheduled campaign can be changed."), code="not_editable"
            )
        low = data.get("interval_min", getattr(self.instance, "interval_min", 20))
        high = data.get("interval_max", getattr(self.instance, "interval_max", 60))
        if low > high:
            raise serializers.ValidationError(
                {"interval_min": [_("The minimum interval cannot be longer than the maximum.")]}
            )
        days = data.get("window_days") or []
        if not isinstance(days, list) or any(day not in range(7) for day in days):
            raise serializers.ValidationError(
                {"window_days": [_("Weekdays are numbers from 0 to 6.")]}
            )
        if bool(data.get("window_start")) != bool(data.get("window_end")):
            raise serializers.ValidationError(
                _("Give both ends of the sending window, or neither.")
            )
        return data

    @transaction.atomic
    def create(self, validated_data):
        variations = validated_data.pop("variations")
        campaign = super().create({**validated_data, "tenant": self.context["tenant"]})
        self._save_variations(campaign, variations)
        return campaign

    @transaction.atomic
    def update(self, campaign, validated_data):
        variations = validated_data.pop("variations", None)
        campaign = super().update(campaign, validated_data)
        if variations is not None:  # the full set replaces the old one
            campaign.variations.all().delete()
            self._save_variations(campaign, variations)
        return campaign

    @staticmethod
    def _save_variations(campaign, variations):
        CampaignMessage.objects.bulk_create(
            # Without an order of their own, they keep the order they were sent in.
            CampaignMessage(
                tenant_id=campaign.tenant_id, campaign=campaign, **{"order": n, **variation}
            )
            for n, variation in enumerate(variations)
        )


class RecipientSerializer(serializers.ModelSerializer):
    phone = serializers.CharField(source="contact.phone", default=None, read_only=True)

    class Meta:
        model = CampaignRecipient
        fields = [
            "id",
            "contact",
            "phone",
            "status",
            "skip_reason",
            "instance",
            "variation",
            "provider_id",
            "attempts",
            "last_error",
            "queued_at",
            "sent_at",
            "delivered_at",
            "read_at",
            "replied_at",
            "failed_at",
            "skipped_at",
        ]
        read_only_fields = fields


class ScheduleAt(serializers.Serializer):
    when = serializers.DateTimeField(help_text=_("ISO 8601, with its time zone."))


class RecipientFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=CampaignRecipient.Status.choices, required=False)


EXAMPLE = {
    "name": "Black Friday",
    "instances": ["0193f1c6-8f4a-7c1e-9a51-6f1f2b3c4d90"],
    "interval_min": 20,
    "interval_max": 60,
    "audience_tags": ["0193f1c6-8f4a-7c1e-9a51-6f1f2b3c4d91"],
    "variations": [
        {"body": "{{saudacao}}, {{primeiro_nome}}! Black Friday: 30% off."},
        {"body": "Oi {{primeiro_nome}}, a Black Friday chegou: 30% off."},
    ],
}


@extend_schema_view(
    list=extend_schema(summary="List campaigns, newest first"),
    retrieve=extend_schema(summary="Get a campaign with its counts"),
    create=extend_schema(
        summary="Create a draft campaign with its messages and audience",
        examples=[OpenApiExample("Two variations", value=EXAMPLE, request_only=True)],
    ),
    update=extend_schema(summary="Replace a draft campaign's settings"),
    partial_update=extend_schema(summary="Change some of a draft campaign's settings"),
    destroy=extend_schema(summary="Delete a draft campaign"),
)
class CampaignViewSet(TenantViewSetMixin, viewsets.ModelViewSet):
    api_area = "campaigns"
    model = Campaign
    serializer_class = CampaignSerializer
    api_write_actions = ("start", "schedule", "pause", "resume", "cancel")

    def get_queryset(self):
        return super().get_queryset().prefetch_related("instances", "variations")

    def perform_destroy(self, campaign):
        if campaign.status != Campaign.Status.DRAFT:
            raise serializers.ValidationError(
                _("Only a draft can be deleted; cancel a campaign that started."),
                code="not_editable",
            )
        campaign.delete()

    def _after(self, campaign, answer=status.HTTP_200_OK):
        campaign.refresh_from_db()
        return Response(self.get_serializer(campaign).data, status=answer)

    @extend_schema(summary="Start sending now", request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        campaign = self.get_object()
        services.start(campaign, by=None)
        return self._after(campaign)

    @extend_schema(summary="Start at a later moment", request=ScheduleAt)
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        chosen = ScheduleAt(data=request.data)
        chosen.is_valid(raise_exception=True)
        campaign = self.get_object()
        services.schedule(campaign, chosen.validated_data["when"], by=None)
        return self._after(campaign)

    @extend_schema(summary="Pause before the next message", request=None)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        campaign = self.get_object()
        services.pause(campaign, by=None)
        return self._after(campaign)

    @extend_schema(summary="Resume a paused campaign", request=None)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        campaign = self.get_object()
        services.resume(campaign, by=None)
        return self._after(campaign)

    @extend_schema(summary="Cancel for good (sent messages keep being tracked)", request=None)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        campaign = self.get_object()
        services.cancel(campaign, by=None)
        return self._after(campaign)

    @extend_schema(
        summary="The campaign's recipients, with their statuses",
        parameters=[OpenApiParameter("status", str, enum=CampaignRecipient.Status.values)],
        responses=RecipientSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def recipients(self, request, pk=None):
        filters = RecipientFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = self.get_object().recipients.select_related("contact")
        if chosen := filters.validated_data.get("status"):
            rows = rows.filter(status=chosen)
        paginator = ById()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(RecipientSerializer(page, many=True).data)
