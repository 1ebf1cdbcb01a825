"""Queue the move of every attachment stored on the server's disk to S3 (media.migrate_s3)."""

import uuid

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from media import s3_migration
from tenancy.models import Tenant


class Command(BaseCommand):
    help = (
        "Publish one media.migrate_s3 message per attachment still on the disk; the consumer "
        "copies it to S3 and removes the local files. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="only this tenant (its id or slug)")

    def handle(self, *args, tenant=None, **options):
        chosen = _tenant(tenant) if tenant else None
        try:
            queued, suspended = s3_migration.queue_all(chosen)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{queued} attachment(s) queued for S3.")
        for tenant_id in suspended:
            self.stderr.write(f"Tenant {tenant_id} is suspended: its files stay on the disk.")


def _tenant(value: str) -> Tenant:
    try:
        found = Tenant.objects.filter(pk=uuid.UUID(value)).first()
    except ValueError:  # not an id: a slug
        found = Tenant.objects.filter(slug=value).first()
    if found is None:
        raise CommandError(f"No tenant {value!r}.")
    return found
