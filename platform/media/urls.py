from django.urls import path

from media import views

app_name = "media"

urlpatterns = [
    path("attachments/<uuid:pk>/", views.attachment_file, name="attachment"),
    path("attachments/<uuid:pk>/preview/", views.attachment_thumbnail, name="thumbnail"),
    path("contacts/<uuid:pk>/picture/", views.contact_picture, name="contact_picture"),
]
