"""The hook for live updates of media.

``attachment_changed`` is sent (after the change committed) with ``attachment=`` when an
attachment became ready or failed. The chat page's websocket connects a receiver that pushes the
message again to the sockets that may see it; nothing in this app knows about sockets.
"""

from django.dispatch import Signal

attachment_changed = Signal()
