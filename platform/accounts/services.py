"""State changes of users that carry rules beyond a plain form save."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from tenancy import limits


def check_can_add_member(tenant, *, adding: int = 1) -> None:
    """Raise PlanLimitError unless ``tenant`` may have ``adding`` more active users.

    Locks the tenant row, so call it inside the transaction that saves the user (the admin's
    change view is one): two admins adding the last seat at once cannot both succeed.
    """
    limits.require_capacity(limits.lock_tenant(tenant), limits.Resource.USERS, adding)


def check_keeps_an_admin(user: User, *, new_role: str, new_active: bool) -> None:
    """A company must keep at least one active administrator, or nobody could manage it."""
    if user._state.adding or (new_role == Role.ADMIN and new_active):
        return
    check_admins_remain_without([user])


def check_admins_remain_without(users) -> None:
    """Raise unless every company of ``users`` keeps an active administrator without them."""
    leaving = {user.pk for user in users}
    for user in users:
        if not (user.tenant_id and user.role == Role.ADMIN and user.is_active):
            continue
        # Row lock: two admins demoting each other at once must not both pass.
        limits.lock_tenant(user.tenant)
        others = (
            User.objects.for_tenant(user.tenant_id)
            .filter(role=Role.ADMIN, is_active=True)
            .exclude(pk__in=leaving)
        )
        if not others.exists():
            raise ValidationError(
                _("%(user)s is the company's last active administrator."),
                code="last_admin",
                params={"user": user},
            )
