from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from accounts import signals  # noqa: F401  (connects post_migrate role sync)
        from accounts.models import User
        from tenancy.limits import Resource, register_usage

        register_usage(
            Resource.USERS,
            lambda tenant: User.objects.for_tenant(tenant).filter(is_active=True).count(),
        )
