from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from accounts.roles import GROUP_NAMES


class EmailRoleBackend(ModelBackend):
    """Email login; a user's role grants the permissions of the role's group.

    The role field is the single source of truth, so a user never drifts out of sync with
    their group. Users of a suspended tenant cannot authenticate.
    """

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        return super().authenticate(
            request, username=(email or username or "").strip().lower(), password=password
        )

    def user_can_authenticate(self, user):
        if user.tenant_id and user.tenant.is_suspended:
            return False
        return super().user_can_authenticate(user)

    def get_user(self, user_id):
        from accounts.models import User

        try:
            user = User.objects.select_related("tenant").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def _get_group_permissions(self, user_obj):
        role_group = GROUP_NAMES.get(user_obj.role)
        by_role = Permission.objects.filter(group__name=role_group) if role_group else None
        explicit = super()._get_group_permissions(user_obj)
        return explicit | by_role if by_role is not None else explicit
