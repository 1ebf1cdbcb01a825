from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from unfold.forms import AuthenticationForm

from accounts.models import User
from accounts.throttle import LoginThrottle
from tenancy.models import Tenant


class LoginForm(AuthenticationForm):
    """The admin login with brute-force lockout and a clear word for suspended companies."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _("Too many failed attempts. Wait %(minutes)s minutes before trying again."),
        "suspended": _("Your company's account is suspended. Contact support."),
    }

    def clean(self):
        email = self.cleaned_data.get("username")
        throttle = LoginThrottle(self.request, email)
        if not throttle.attempt():
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": max(settings.LOGIN_LOCKOUT_SECONDS // 60, 1)},
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            if self._belongs_to_suspended_tenant(email, self.cleaned_data.get("password")):
                raise ValidationError(self.error_messages["suspended"], code="suspended") from None
            raise
        throttle.succeeded()
        return cleaned

    @staticmethod
    def _belongs_to_suspended_tenant(email, password):
        user = (
            User.objects.select_related("tenant")
            .filter(email__iexact=(email or "").strip(), tenant__status=Tenant.Status.SUSPENDED)
            .first()
        )
        return user is not None and user.check_password(password or "")
