# Two admin modules, one per concern; Django only autodiscovers this one.
from whatsapp import admin_events, admin_instances  # noqa: F401
