import uuid

from django.conf import settings
from django.db import models

from accounts.models import Department
from tenancy.models import TenantOwned


class Ticket(TenantOwned):
    """Shaped like a conversation: belongs to a department, may be assigned to a user."""

    visibility_department_field = "department"
    visibility_owner_field = "assigned_to"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=100)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    watchers = models.ManyToManyField(Department, blank=True, related_name="watched_tickets")

    def __str__(self):
        return self.title
