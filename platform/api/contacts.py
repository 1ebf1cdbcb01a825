"""Contacts, tags and lists over the API. Glue: every change is a ``contacts.services`` call,
every read starts from ``.for_tenant(key's tenant)``."""

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection, transaction
from django.db.models import OuterRef
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

from api.idempotency import idempotent
from api.views import TenantViewSetMixin
from contacts import selectors, services
from contacts.models import Contact, ContactList, Tag

CONTACT_EXAMPLE = {
    "id": "0193f1c6-8f4a-7c1e-9a51-6f1f2b3c4d5e",
    "phone": "+5511987654321",
    "name": "Maria Souza",
    "email": "maria@example.com",
    "birth_date": "1990-05-17",
    "gender": "F",
    "city": "São Paulo",
    "state": "SP",
    "country": "BR",
    "zip_code": "01310-100",
    "notes": "",
    "custom_fields": {"plano": "ouro"},
    "tags": ["vip"],
    "lists": [],
    "opted_out": False,
    "opted_out_at": None,
    "source": "api",
    "whatsapp_name": "",
    "created_at": "2026-12-04T13:00:00Z",
    "updated_at": "2026-12-04T13:00:00Z",
}


class TenantRelatedField(serializers.PrimaryKeyRelatedField):
    """An id of one of the key's tenant's rows; any other id is "not found", never "not yours"."""

    def get_queryset(self):
        return self.queryset.model.objects.for_tenant(self.context["tenant"])


class ContactSerializer(serializers.ModelSerializer):
    phone = serializers.CharField(
        max_length=40, help_text=_("Any format: +55 11 98765-4321, (11) 98765-4321, 11987654321.")
    )
    # Written as names and ids, read back by to_representation.
    tags = serializers.ListField(
        child=serializers.CharField(max_length=Tag._meta.get_field("name").max_length),
        required=False,
        write_only=True,
        help_text=_("Tag names; missing tags are created. On update, the full set."),
    )
    lists = serializers.ListField(
        child=TenantRelatedField(queryset=ContactList.objects.all()),
        required=False,
        write_only=True,
        help_text=_("Ids of lists; on update, the full set."),
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "phone",
            "name",
            "email",
            "birth_date",
            "gender",
            "city",
            "state",
            "country",
            "zip_code",
            "notes",
            "custom_fields",
            "tags",
            "lists",
            "opted_out",
            "opted_out_at",
            "source",
            "whatsapp_name",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "opted_out",
            "opted_out_at",
            "source",
            "whatsapp_name",
            "created_at",
            "updated_at",
        ]
        # Uniqueness of the phone is checked by the service after normalisation.
        validators = []

    def to_representation(self, contact):
        data = super().to_representation(contact)
        tag_names = getattr(contact, "tag_names", None)
        if tag_names is None:
            tag_names = [tag.name for tag in _related(contact, "tags")]
        list_ids = getattr(contact, "list_ids", None)
        if list_ids is None:
            list_ids = [item.pk for item in _related(contact, "lists")]
        data["tags"] = sorted(tag_names)
        data["lists"] = [str(pk) for pk in list_ids]
        return data

    def validate_phone(self, value):
        return services.normalize_for(self.context["tenant"], value)

    def validate_custom_fields(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("Send an object of names to values."))
        return value

    def create(self, validated):
        tenant = self.context["tenant"]
        tags, lists = validated.pop("tags", None), validated.pop("lists", None)
        with transaction.atomic():
            contact = services.create_contact(tenant, source=Contact.Source.API, **validated)
            _set_segments(tenant, contact, tags, lists)
        return contact

    def update(self, contact, validated):
        tenant = self.context["tenant"]
        tags, lists = validated.pop("tags", None), validated.pop("lists", None)
        with transaction.atomic():
            services.update_contact(tenant, contact, **validated)
            _set_segments(tenant, contact, tags, lists)
        return with_segments(Contact.objects.filter(pk=contact.pk)).get()


def with_segments(contacts):
    """Each contact's tag names and list ids: on PostgreSQL as arrays in the page's own query
    (one statement per page), elsewhere prefetched (two more)."""
    if connection.vendor != "postgresql":
        return contacts.prefetch_related("tags", "lists")
    tag_names = Tag.objects.filter(contacttag__contact=OuterRef("pk")).values("name")
    list_ids = ContactList.objects.filter(listmembership__contact=OuterRef("pk")).values("pk")
    return contacts.annotate(tag_names=ArraySubquery(tag_names), list_ids=ArraySubquery(list_ids))


def _related(contact, name):
    """The prefetched rows as they are: ``contact.tags.all()`` would build a manager and a
    queryset per contact (200 per page of 100, a third of a list request's own time)."""
    prefetched = getattr(contact, "_prefetched_objects_cache", {})
    if name in prefetched:
        return prefetched[name]
    return getattr(contact, name).all()


def _set_segments(tenant, contact, tag_names, contact_lists):
    """Make the contact's tags and lists exactly these (None: leave them as they are)."""
    just_this = Contact.objects.filter(pk=contact.pk)
    if tag_names is not None:
        wanted = services.tags_named(tenant, tag_names)
        for tag in contact.tags.exclude(pk__in=[tag.pk for tag in wanted]):
            services.remove_tag(tenant, just_this, tag)
        for tag in wanted:
            services.add_tag(tenant, just_this, tag)
    if contact_lists is not None:
        for contact_list in contact.lists.exclude(pk__in=[item.pk for item in contact_lists]):
            services.remove_from_list(tenant, just_this, contact_list)
        for contact_list in contact_lists:
            services.add_to_list(tenant, just_this, contact_list)


class ContactFilters(serializers.Serializer):
    search = serializers.CharField(required=False, help_text=_("Name, e-mail or phone."))
    phone = serializers.CharField(required=False, help_text=_("Exact phone, in any format."))
    tag = TenantRelatedField(queryset=Tag.objects.all(), required=False)
    list = TenantRelatedField(queryset=ContactList.objects.all(), required=False)
    opted_out = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate_phone(self, value):
        return services.normalize_for(self.context["tenant"], value)


CONTACT_FILTERS = [
    OpenApiParameter("search", str, description="Name, e-mail or phone (any format)."),
    OpenApiParameter("phone", str, description="Exact phone in any format, e.g. (11) 98765-4321."),
    OpenApiParameter("tag", str, description="A tag id."),
    OpenApiParameter("list", str, description="A list id."),
    OpenApiParameter("opted_out", bool),
    OpenApiParameter("limit", int, description="Page size, 1-500 (default 50)."),
]


@extend_schema_view(
    list=extend_schema(
        summary="List or search contacts",
        parameters=CONTACT_FILTERS,
        examples=[OpenApiExample("A page", value=[CONTACT_EXAMPLE], response_only=True)],
    ),
    retrieve=extend_schema(summary="Get a contact"),
    create=extend_schema(
        summary="Create a contact",
        examples=[
            OpenApiExample(
                "New contact",
                value={"phone": "(11) 98765-4321", "name": "Maria Souza", "tags": ["vip"]},
                request_only=True,
            ),
            OpenApiExample("Created", value=CONTACT_EXAMPLE, response_only=True),
        ],
    ),
    update=extend_schema(summary="Replace a contact's fields"),
    partial_update=extend_schema(
        summary="Change some fields of a contact",
        examples=[OpenApiExample("Rename", value={"name": "Maria S. Souza"}, request_only=True)],
    ),
    destroy=extend_schema(summary="Delete a contact"),
)
class ContactViewSet(TenantViewSetMixin, viewsets.ModelViewSet):
    api_area = "contacts"
    serializer_class = ContactSerializer
    model = Contact

    def get_queryset(self):
        rows = with_segments(super().get_queryset())
        if self.action != "list":
            return rows
        filters = ContactFilters(
            data=self.request.query_params, context=self.get_serializer_context()
        )
        filters.is_valid(raise_exception=True)
        chosen = filters.validated_data
        if chosen.get("search"):
            rows = selectors.search(rows, self.tenant, chosen["search"])
        if chosen.get("phone"):
            rows = rows.filter(phone=chosen["phone"])
        if chosen.get("tag"):
            rows = rows.filter(tags=chosen["tag"])
        if chosen.get("list"):
            rows = rows.filter(lists=chosen["list"])
        if chosen.get("opted_out") is not None:
            rows = rows.filter(opted_out=chosen["opted_out"])
        return rows

    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_destroy(self, contact):
        services.delete_contacts(self.tenant, Contact.objects.filter(pk=contact.pk))


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name", "colour", "contact_count", "created_at"]
        read_only_fields = ["contact_count", "created_at"]

    def validate(self, attrs):
        # The model's (tenant, name) uniqueness, checked with the key's tenant.
        tag = Tag(tenant=self.context["tenant"], **{**self._current(), **attrs})
        tag.full_clean(exclude=["id"])
        return attrs

    def _current(self):
        if self.instance is None:
            return {}
        return {"pk": self.instance.pk, "name": self.instance.name, "colour": self.instance.colour}

    def create(self, validated):
        return Tag.objects.create(tenant=self.context["tenant"], **validated)


class ListSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactList
        fields = ["id", "name", "description", "contact_count", "created_at"]
        read_only_fields = ["contact_count", "created_at"]

    def validate(self, attrs):
        current = {}
        if self.instance is not None:
            current = {"pk": self.instance.pk, "name": self.instance.name}
        ContactList(tenant=self.context["tenant"], **{**current, **attrs}).full_clean(
            exclude=["id"]
        )
        return attrs

    def create(self, validated):
        return ContactList.objects.create(tenant=self.context["tenant"], **validated)


class MembersSerializer(serializers.Serializer):
    contact_ids = serializers.ListField(
        child=serializers.UUIDField(), min_length=1, max_length=1000
    )


class SegmentViewSet(TenantViewSetMixin, viewsets.ModelViewSet):
    """Tags and lists: the same routes, each with ``add`` and ``remove`` of contacts."""

    api_area = "contacts"
    add_service = remove_service = None

    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    @extend_schema(
        request=MembersSerializer,
        responses={200: {"type": "object", "properties": {"changed": {"type": "integer"}}}},
        examples=[
            OpenApiExample(
                "Contacts",
                value={"contact_ids": ["0193f1c6-8f4a-7c1e-9a51-6f1f2b3c4d5e"]},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def add(self, request, pk=None):
        return self._change_members(request, type(self).add_service)

    @extend_schema(request=MembersSerializer, responses={200: dict})
    @action(detail=True, methods=["post"])
    def remove(self, request, pk=None):
        return self._change_members(request, type(self).remove_service)

    def _change_members(self, request, service):
        segment = self.get_object()
        members = MembersSerializer(data=request.data)
        members.is_valid(raise_exception=True)
        contacts = Contact.objects.for_tenant(self.tenant).filter(
            pk__in=members.validated_data["contact_ids"]
        )
        changed = service(self.tenant, contacts, segment)
        return Response({"changed": changed}, status=status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(summary="List tags"),
    create=extend_schema(
        summary="Create a tag",
        examples=[OpenApiExample("VIP", value={"name": "vip", "colour": "#f59e0b"})],
    ),
)
class TagViewSet(SegmentViewSet):
    serializer_class = TagSerializer
    model = Tag
    add_service = staticmethod(services.add_tag)
    remove_service = staticmethod(services.remove_tag)


@extend_schema_view(
    list=extend_schema(summary="List contact lists"),
    create=extend_schema(
        summary="Create a list",
        examples=[OpenApiExample("Newsletter", value={"name": "Newsletter"})],
    ),
)
class ListViewSet(SegmentViewSet):
    serializer_class = ListSerializer
    model = ContactList
    add_service = staticmethod(services.add_to_list)
    remove_service = staticmethod(services.remove_from_list)
