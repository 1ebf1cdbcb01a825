from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("", views.page, name="page"),
    path("list/", views.conversation_list, name="list"),
    path("signature/", views.signature, name="signature"),
    path("<uuid:pk>/", views.page, name="conversation"),
    path("<uuid:pk>/messages/", views.messages, name="messages"),
    path("<uuid:pk>/send/", views.send, name="send"),
    path("<uuid:pk>/upload/", views.upload, name="upload"),
    path("<uuid:pk>/quick-replies/", views.quick_reply_list, name="quick_replies"),
    path("<uuid:pk>/read/", views.mark_read, name="read"),
    path("<uuid:pk>/<slug:action>/", views.act, name="act"),
    path("messages/<uuid:pk>/retry/", views.retry, name="retry"),
    path("messages/<uuid:pk>/react/", views.react, name="react"),
]
