"""POST-only buttons on a change page that run a service on the object."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse


class ObjectButtonsMixin:
    def object_button(self, request, object_id, run, done: str):
        """``run(obj)`` for someone who may change it; its ValidationError becomes messages."""
        obj = self.get_object(request, object_id)  # 404 for someone else's, before anything
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.may_press_buttons(request, obj):
            raise PermissionDenied
        try:
            run(obj)
        except ValidationError as error:
            for text in error.messages:
                self.message_user(request, text, messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(self.change_url(obj))

    def may_press_buttons(self, request, obj) -> bool:
        """Who may press the buttons at all; the service still checks the transition itself."""
        return self.has_change_permission(request, obj)

    def change_url(self, obj_or_id) -> str:
        opts = self.model._meta
        pk = getattr(obj_or_id, "pk", obj_or_id)
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])
