"""What every API view shares: the key's tenant, and querysets that start from it."""

from django.utils.functional import cached_property


class TenantViewSetMixin:
    """``model`` rows of the key's tenant only (DESIGN rule 1): an id of another tenant's row
    is not in the queryset, so it answers 404 like an unknown one."""

    model = None

    @cached_property
    def tenant(self):
        return self.request.auth.tenant

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator, without a key
            return self.model.objects.none()
        return self.model.objects.for_tenant(self.tenant)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self.request, "auth", None) is not None:
            context["tenant"] = self.tenant
        return context
