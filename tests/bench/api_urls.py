"""URLs of the ``tests.bench.api`` server: Alrea's, plus the bare DRF views it is measured
against (no authentication, no throttle, one query each)."""

import json

from django.db import connection
from django.urls import include, path
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.contacts import ContactSerializer
from contacts.models import Contact

BARE_MESSAGE_TABLE = "bench_api_message"
PAGE = 100


class BareContactSerializer(serializers.ModelSerializer):
    """The API's contact fields that are columns (not the tag and list relations)."""

    class Meta:
        model = Contact
        fields = [f for f in ContactSerializer.Meta.fields if f not in ("tags", "lists")]


class Bare(APIView):
    authentication_classes = ()
    permission_classes = ()
    throttle_classes = ()


class BareContactPage(Bare):
    """The newest page of ``?tenant=``'s contacts in the API's order: one SELECT."""

    def get(self, request):
        rows = Contact.objects.filter(tenant_id=request.query_params["tenant"])
        page = rows.order_by("-created_at", "-id")[:PAGE]
        return Response(BareContactSerializer(page, many=True).data)


class BareMessageInsert(Bare):
    """The body into a table: one INSERT."""

    def post(self, request):
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {BARE_MESSAGE_TABLE} (body) VALUES (%s) RETURNING id",
                [json.dumps(request.data)],
            )
            (row_id,) = cursor.fetchone()
        return Response({"id": row_id}, status=status.HTTP_202_ACCEPTED)


urlpatterns = [
    path("bench/contacts/", BareContactPage.as_view()),
    path("bench/messages/", BareMessageInsert.as_view()),
    path("", include("alrea.urls")),
]
