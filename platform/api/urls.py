from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from api.bulk import ContactBulkUpsertView
from api.campaigns import CampaignViewSet
from api.contacts import ContactViewSet, ListViewSet, TagViewSet
from api.conversations import ConversationViewSet
from api.instances import InstanceViewSet
from api.messages import MessageViewSet
from api.subscriptions import SubscriptionViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("contacts", ContactViewSet, basename="contact")
router.register("tags", TagViewSet, basename="tag")
router.register("lists", ListViewSet, basename="list")
router.register("instances", InstanceViewSet, basename="instance")
router.register("messages", MessageViewSet, basename="message")
router.register("conversations", ConversationViewSet, basename="conversation")
router.register("webhooks", SubscriptionViewSet, basename="webhook")
router.register("campaigns", CampaignViewSet, basename="campaign")

v1 = [
    # Before the router: "bulk" would otherwise be read as a contact id.
    path("contacts/bulk/", ContactBulkUpsertView.as_view(), name="contact-bulk"),
    *router.urls,
]

# The schema and its docs are public (they hold no data) and need no key.
public = {"authentication_classes": [], "permission_classes": [], "throttle_classes": []}

urlpatterns = [
    path("v1/", include((v1, "api"), namespace="v1")),
    path("schema/", SpectacularAPIView.as_view(**public), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", **public),
        name="api-docs",
    ),
]
