from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self):
        from campaigns.models import Campaign
        from tenancy.limits import Resource, register_usage

        def started_this_month(tenant):
            from django.utils import timezone

            month_start = timezone.localtime().replace(
                day=1, hour=0, minute=0, second=0, microsecond=0
            )
            return Campaign.objects.for_tenant(tenant).filter(started_at__gte=month_start).count()

        register_usage(Resource.CAMPAIGNS_PER_MONTH, started_this_month)
