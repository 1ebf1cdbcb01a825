"""Bulk upsert of contacts: the spreadsheet import's engine, fed JSON instead of a file.

Items become the rows of a table whose columns are the fields sent, so every value goes through
exactly the normalisation and rules of a spreadsheet import (phones, e-mails, dates, states,
tags, custom fields, last row of a phone wins, plan limit), and the answer has one result per
item. Structural mistakes (unknown fields, wrong types) refuse the whole request before anything
is written; a bad value only makes its own item ``invalid``.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, views
from rest_framework.response import Response

from api.contacts import TenantRelatedField
from api.idempotency import idempotent
from contacts import importing
from contacts.importing.engine import FIELDS as CONTACT_FIELDS
from contacts.importing.mapping import CUSTOM_PREFIX
from contacts.models import Contact, ContactList

MAX_ITEMS = 1000
# The import's statuses as the API names them.
STATUS_NAMES = {"new": "created"}
TAG_SEPARATORS = (";", ",")


def _tag_name(value: str) -> str:
    if any(separator in value for separator in TAG_SEPARATORS):
        raise serializers.ValidationError(_("Tag names cannot contain ; or ,."))
    return value


class BulkContact(serializers.Serializer):
    phone = serializers.CharField(max_length=40)
    name = serializers.CharField(required=False, allow_blank=True)
    email = serializers.CharField(required=False, allow_blank=True)
    birth_date = serializers.CharField(
        required=False, allow_blank=True, help_text=_("yyyy-mm-dd or dd/mm/yyyy.")
    )
    gender = serializers.CharField(required=False, allow_blank=True, help_text="F, M or O.")
    city = serializers.CharField(required=False, allow_blank=True)
    state = serializers.CharField(required=False, allow_blank=True, help_text=_("UF, e.g. SP."))
    country = serializers.CharField(required=False, allow_blank=True)
    zip_code = serializers.CharField(required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(validators=[_tag_name]), required=False
    )
    custom_fields = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False
    )

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    _("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)}
                )
        return super().to_internal_value(data)

    def validate(self, attrs):
        keys = [key.strip() for key in attrs.get("custom_fields", {})]
        if any(not key for key in keys) or len(set(keys)) != len(keys):
            raise serializers.ValidationError(
                {"custom_fields": [_("Custom field names must be filled in and distinct.")]}
            )
        return attrs


class BulkUpsert(serializers.Serializer):
    contacts = BulkContact(many=True, allow_empty=False, max_length=MAX_ITEMS)
    update_existing = serializers.BooleanField(
        default=True, help_text=_("False: contacts whose phone exists already are skipped.")
    )
    tags = serializers.ListField(
        child=serializers.CharField(validators=[_tag_name]),
        required=False,
        default=list,
        help_text=_("Tags added to every contact of the request."),
    )
    list = TenantRelatedField(
        queryset=ContactList.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Every contact of the request joins this list."),
    )


def as_table(items: list[dict], filename: str) -> tuple[importing.Table, dict[int, str]]:
    """The items as a spreadsheet: one column per field sent, one row per item."""
    targets = ["phone", *(name for name in CONTACT_FIELDS if any(name in item for item in items))]
    if any(item.get("tags") for item in items):
        targets.append("tags")
    custom_keys = list(
        dict.fromkeys(key.strip() for item in items for key in item.get("custom_fields", {}))
    )
    targets += [CUSTOM_PREFIX + key for key in custom_keys]
    rows = []
    for item in items:
        custom = {key.strip(): value for key, value in item.get("custom_fields", {}).items()}
        row = []
        for target in targets:
            if target == "tags":
                row.append("; ".join(item.get("tags", ())))
            elif target.startswith(CUSTOM_PREFIX):
                row.append(custom.get(target[len(CUSTOM_PREFIX) :], ""))
            else:
                row.append(item.get(target, ""))
        rows.append(row)
    table = importing.Table(header=targets, rows=rows, total_rows=len(rows), filename=filename)
    return table, dict(enumerate(targets))


BULK_EXAMPLE_REQUEST = {
    "contacts": [
        {"phone": "(11) 98765-4321", "name": "Maria Souza", "tags": ["vip"]},
        {"phone": "+55 21 3456-7890", "email": "joao@example.com", "state": "RJ"},
        {"phone": "123"},
    ],
    "tags": ["erp"],
}
BULK_EXAMPLE_RESPONSE = {
    "counts": {"created": 1, "updated": 1, "unchanged": 0, "skipped": 0, "invalid": 1,
               "duplicate": 0},
    "results": [
        {"index": 0, "status": "created", "id": "0193f1c6-8f4a-7c1e-9a51-6f1f2b3c4d5e",
         "phone": "+5511987654321", "reason": ""},
        {"index": 1, "status": "updated", "id": "0193f1c6-8f4a-7c1e-9a51-6f1f2b3c4d5f",
         "phone": "+552134567890", "reason": ""},
        {"index": 2, "status": "invalid", "id": None, "phone": None,
         "reason": "phone: 123 is not a valid phone number"},
    ],
}  # fmt: skip


class ContactBulkUpsertView(views.APIView):
    api_area = "contacts"

    @extend_schema(
        summary="Create or update up to 1,000 contacts by phone",
        request=BulkUpsert,
        responses={200: dict},
        examples=[
            OpenApiExample("Request", value=BULK_EXAMPLE_REQUEST, request_only=True),
            OpenApiExample("Per-item results", value=BULK_EXAMPLE_RESPONSE, response_only=True),
        ],
    )
    @idempotent
    def post(self, request):
        tenant = request.auth.tenant
        upsert = BulkUpsert(data=request.data, context={"tenant": tenant})
        upsert.is_valid(raise_exception=True)
        chosen = upsert.validated_data
        items = chosen["contacts"]
        table, mapping = as_table(items, filename=f"API ({request.auth.name})")
        options = importing.ImportOptions(
            update_existing=chosen["update_existing"],
            tag_names=chosen["tags"],
            contact_list_id=chosen["list"].pk if chosen.get("list") else None,
            source=Contact.Source.API,
        )
        try:
            report = importing.run_import(
                tenant, table, mapping, options, dry_run=False, preview_per_status=len(items)
            )
        except importing.SpreadsheetError as error:
            raise serializers.ValidationError(error.message) from None
        results = [None] * len(items)
        for outcome in report.preview:
            phone = outcome.values.get("phone")
            results[outcome.row_number - 1] = {
                "index": outcome.row_number - 1,
                "status": STATUS_NAMES.get(outcome.status, outcome.status),
                "id": outcome.contact_id or None,
                "phone": phone or None,
                "reason": outcome.reason,
            }
        counts = {STATUS_NAMES.get(name, name): n for name, n in report.counts.items()}
        return Response({"counts": counts, "results": results})
