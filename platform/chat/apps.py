from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = _("Chat")

    def ready(self):
        from chat import live
        from media.signals import attachment_changed

        attachment_changed.connect(live.on_attachment_changed, dispatch_uid="chat-live-media")
