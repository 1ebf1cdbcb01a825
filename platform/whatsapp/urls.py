from django.urls import path, re_path

from whatsapp import receiver

app_name = "whatsapp"

# Evolution appends "/<event-name>" when "webhook by events" is on: both forms are accepted, and
# so is the double slash it makes of a configured URL that ends in "/".
_EVENT_SUFFIX = r"(?:/*(?P<suffix>[a-z][a-z.-]*))?/?$"

urlpatterns = [
    path("", receiver.evolution_webhook, name="webhook"),
    re_path(r"^" + _EVENT_SUFFIX, receiver.evolution_webhook, name="webhook-by-event"),
    path("k/<str:token>/", receiver.evolution_webhook, name="webhook-token"),
    re_path(
        r"^k/(?P<token>[0-9a-f]+)/" + _EVENT_SUFFIX,
        receiver.evolution_webhook,
        name="webhook-token-by-event",
    ),
]
