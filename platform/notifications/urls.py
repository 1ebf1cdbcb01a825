from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("summary/", views.summary, name="summary"),
    path("read/", views.mark_read, name="mark_read"),
    path("<uuid:notification_id>/open/", views.open_notification, name="open"),
]
