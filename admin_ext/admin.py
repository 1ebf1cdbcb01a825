"""Admins of third-party models, restyled with unfold and restricted to platform staff.

django-q2's jobs and schedules and the role groups are platform-wide, not tenant data.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as StockGroupAdmin
from django.contrib.auth.models import Group
from django_q import admin as q2_admin
from django_q import models as q2
from unfold.admin import ModelAdmin

from admin_ext.permissions import SuperuserOnlyAdmin

_RESTYLED = [
    (Group, StockGroupAdmin),
    (q2.Schedule, q2_admin.ScheduleAdmin),
    (q2.Success, q2_admin.TaskAdmin),
    (q2.Failure, q2_admin.FailAdmin),
    (q2.OrmQ, q2_admin.QueueAdmin),
]

for model, stock_admin in _RESTYLED:
    if admin.site.is_registered(model):
        admin.site.unregister(model)
        admin.site.register(
            model, type(stock_admin.__name__, (SuperuserOnlyAdmin, stock_admin, ModelAdmin), {})
        )
