from django.contrib.auth.models import Group, Permission
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from accounts.roles import sync_role_groups


@receiver(post_migrate)
def resync_role_groups(sender, **kwargs):
    # post_migrate fires once per app; permissions exist only after auth's own handler ran, so
    # re-applying after each app converges on the full declaration by the end of `migrate`.
    sync_role_groups(Group, Permission)
