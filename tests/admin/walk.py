"""Shared helpers of the admin walk: the registry, the rows made for it, what each persona should
get, and a tiny browser (form payloads read from the rendered page, as a browser would submit).

Expected answers are derived, not hard-coded, so models registered later are walked with the
same rules:

* status: 200 when the persona's permission allows the view (``has_*_permission`` of the
  ModelAdmin, asked with a RequestFactory request), 403 when not, and 404 when the object is
  not the persona's to see at all (another tenant's row, or a row their role may not see:
  ``MissingObjectIs404`` answers before the permission check);
* visibility: staff see everything; a tenant persona never sees another tenant's row; inside
  the tenant the model's own ``visible_to`` policy (tested on its own) decides.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.test import RequestFactory
from django.urls import reverse

from tenancy.models import Tenant
from tests.admin.factories import FACTORIES

PERSONAS = ("staff", "ana", "marcos", "alice", "gabriel")
TENANT_PERSONAS = ("ana", "marcos", "alice", "gabriel")
TENANTS = ("acme", "globex")
OTHER_TENANT = {"acme": "globex", "globex": "acme"}


# --- the registry ---------------------------------------------------------------------------
def registered_models() -> list[type[models.Model]]:
    return sorted(admin.site._registry, key=lambda model: model._meta.label)


def model_admin(model):
    return admin.site._registry[model]


def tenant_field(model) -> str | None:
    """How a row names its tenant: ``"pk"`` for Tenant itself, ``"tenant"`` for tenant-owned
    models, None for platform-wide models."""
    if model is Tenant:
        return "pk"
    try:
        candidate = model._meta.get_field("tenant")
    except FieldDoesNotExist:
        return None
    if isinstance(candidate, models.ForeignKey) and candidate.related_model is Tenant:
        return "tenant"
    return None


def is_tenant_data(model) -> bool:
    return tenant_field(model) is not None


def tenant_models() -> list[type[models.Model]]:
    return [model for model in registered_models() if is_tenant_data(model)]


def tenant_id_of(obj):
    name = tenant_field(type(obj))
    if name is None:
        return None
    return obj.pk if name == "pk" else getattr(obj, f"{name}_id")


def rows_of_other_tenants(model, user):
    """Every row of a tenant-data ``model`` that does not belong to ``user``'s tenant."""
    name = tenant_field(model)
    manager = model._base_manager
    return (
        manager.exclude(pk=user.tenant_id)
        if name == "pk"
        else manager.exclude(tenant_id=user.tenant_id)
    )


# --- the rows made for the walk -------------------------------------------------------------
@dataclass
class Walk:
    cast: object
    # label -> {"acme": obj, "globex": obj} for tenant data, {None: obj} for platform rows
    rows: dict[str, dict[str | None, models.Model]] = field(default_factory=dict)

    def user(self, persona):
        return self.cast.users[persona]

    def row(self, model, tenant_slug=None):
        return self.rows[model._meta.label][tenant_slug if is_tenant_data(model) else None]

    def own_rows(self, model, persona) -> list[models.Model]:
        """The rows of ``model`` that belong to the persona's side (staff: all of them)."""
        user = self.user(persona)
        if user.is_superuser or not is_tenant_data(model):
            return list(self.rows[model._meta.label].values())
        return [self.row(model, user.tenant.slug)]

    def other_row(self, model, persona):
        return self.row(model, OTHER_TENANT[self.user(persona).tenant.slug])


def missing_factory_message(model) -> str:
    return (
        f"add a factory for {model._meta.label} in tests/admin/factories.py "
        "(the admin walk needs one row per tenant, or one platform row, of every "
        "registered model)"
    )


def marker_for(model, tenant_slug) -> str:
    return f"{tenant_slug.capitalize()}-walk-{model._meta.model_name}"


def build(cast) -> Walk:
    walk = Walk(cast=cast)
    for model in registered_models():
        label = model._meta.label
        factory = FACTORIES.get(label)
        if factory is None:
            pytest.fail(missing_factory_message(model))
        if factory.per_tenant != is_tenant_data(model):
            pytest.fail(
                f"the factory for {label} must make "
                + ("one row per tenant" if is_tenant_data(model) else "one platform row")
            )
        if factory.per_tenant:
            walk.rows[label] = {
                slug: factory.make(cast, cast.tenants[slug], marker_for(model, slug))
                for slug in TENANTS
            }
        else:
            walk.rows[label] = {None: factory.make(cast)}
        for obj in walk.rows[label].values():
            assert isinstance(obj, model), f"the factory for {label} returned {obj!r}"
    return walk


# --- what a persona should get --------------------------------------------------------------
def as_request(user, path="/admin/"):
    request = RequestFactory().get(path)
    request.user = user
    return request


def expected_visible(user, obj) -> bool:
    if user.is_superuser:
        return True
    model = type(obj)
    if not is_tenant_data(model):
        return True  # platform rows are not scoped; permissions decide
    if tenant_id_of(obj) != user.tenant_id:
        return False
    rows = model._default_manager.all()
    if hasattr(rows, "visible_to"):
        return rows.visible_to(user).filter(pk=obj.pk).exists()
    return True


def expected_status(user, model, view, obj=None) -> int:
    model_admin_ = model_admin(model)
    request = as_request(user)
    if view == "changelist":
        allowed = model_admin_.has_view_or_change_permission(request)
    elif view == "add":
        allowed = model_admin_.has_add_permission(request)
    else:
        if not expected_visible(user, obj):
            return 404
        if view in ("change", "history"):
            allowed = model_admin_.has_view_or_change_permission(request, obj)
        elif view == "delete":
            allowed = model_admin_.has_delete_permission(request, obj)
        else:
            raise ValueError(view)
    return 200 if allowed else 403


def admin_url(model, view, obj=None) -> str:
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}"
    return reverse(name, args=[quote(obj.pk)] if obj is not None else [])


def object_url_patterns(model):
    """Every URL of ``model``'s admin that takes an object id (change, delete, history, the
    bare ``<id>/`` redirect, UserAdmin's password page, unfold row/detail actions, ...)."""
    changelist = admin_url(model, "changelist")
    found = []
    for pattern in model_admin(model).get_urls():
        route = str(pattern.pattern)
        if "<" not in route:
            continue
        found.append((pattern.name or route, pattern, changelist, route))
    return found


def object_url(changelist, route, obj) -> str:
    return changelist + re.sub(r"<[^>]+>", quote(str(obj.pk)), route, count=1)


# --- rows before and after ------------------------------------------------------------------
def snapshot(obj):
    """Every stored value of ``obj`` and its many-to-many links (None once it is gone)."""
    model = type(obj)
    values = model._base_manager.filter(pk=obj.pk).values().first()
    if values is None:
        return None
    for m2m in model._meta.many_to_many:
        values[m2m.name] = sorted(
            str(pk)
            for pk in getattr(model._base_manager.get(pk=obj.pk), m2m.name).values_list(
                "pk", flat=True
            )
        )
    return values


# --- leaks ----------------------------------------------------------------------------------
def foreign_needles(walk, persona) -> dict[str, str]:
    """Strings that must never appear on a page served to ``persona``: the id of every row of
    another tenant (any registered tenant-data model) and the marker each of those tenants'
    walk rows carry, plus the other tenant's name."""
    user = walk.user(persona)
    needles = {}
    for model in tenant_models():
        for pk in rows_of_other_tenants(model, user).values_list("pk", flat=True):
            needles[str(pk)] = f"id of another tenant's {model._meta.label}"
    other = OTHER_TENANT[user.tenant.slug]
    for model in tenant_models():
        if model is not Tenant:
            needles[marker_for(model, other)] = f"another tenant's {model._meta.label}"
    needles[walk.cast.tenants[other].name] = "another tenant's name"
    return needles


def assert_no_leak(walk, persona, response, where, echoed=""):
    """``echoed``: what the persona typed (a search term), which the page may repeat."""
    page = response.content.decode()
    leaks = [
        f"{why} ({needle})"
        for needle, why in foreign_needles(walk, persona).items()
        if needle in page and needle not in echoed
    ]
    assert not leaks, f"{persona} sees on {where}: " + "; ".join(leaks)


# --- a tiny browser -------------------------------------------------------------------------
class _FormReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"attrs": attrs, "fields": []}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name and "disabled" not in attrs:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self._form["fields"].append(
                [name, attrs.get("value", "on" if kind in ("checkbox", "radio") else ""), kind]
            )
        elif tag == "select" and name and "disabled" not in attrs:
            self._select = {"name": name, "multiple": "multiple" in attrs, "options": []}
        elif tag == "option" and self._select is not None:
            self._select["options"].append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea" and name and "disabled" not in attrs:
            self._textarea = [name, "", "textarea"]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._select["options"] if selected]
            if not chosen and not self._select["multiple"] and self._select["options"]:
                chosen = [self._select["options"][0][0]]
            for value in chosen:
                self._form["fields"].append([self._select["name"], value, "select"])
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._form["fields"].append(self._textarea)
            self._textarea = None


def read_form(response) -> dict[str, list[str]]:
    """The fields a browser would post from the page's own POST form (the one posting back to
    the page, not the logout or language forms), as ``{name: [values]}``."""
    reader = _FormReader()
    reader.feed(response.content.decode())
    candidates = [
        form
        for form in reader.forms
        if form["attrs"].get("method", "get").lower() == "post"
        and form["attrs"].get("action", "") in ("", response.request["PATH_INFO"])
    ]
    if not candidates:
        return {}
    chosen = max(candidates, key=lambda form: len(form["fields"]))
    payload: dict[str, list[str]] = {}
    kinds: dict[str, str] = {}
    for name, value, kind in chosen["fields"]:
        payload.setdefault(name, []).append(value)
        kinds[name] = kind
    payload["__kinds__"] = kinds  # type: ignore[assignment]
    return payload


TAMPER_FIELDS = (
    "title",
    "name",
    "display_name",
    "note",
    "description",
    "transfer_message",
    "tag_names",
)
TAMPER_PASSWORD = "Tampered-pass-9876"


def tampered(form: dict) -> dict[str, list[str]]:
    """The form with a visible edit a successful save would store: a changed text field and
    every empty password box filled in."""
    kinds = form.get("__kinds__", {})
    payload = {name: list(values) for name, values in form.items() if name != "__kinds__"}
    for name in TAMPER_FIELDS:
        if name in payload and kinds.get(name) in ("text", "textarea"):
            payload[name] = [(payload[name][0] + " tampered")[-90:]]
            break
    for name, kind in kinds.items():
        if kind == "password" and not payload[name][0]:
            payload[name] = [TAMPER_PASSWORD]
    return payload


def form_data(form: dict, **changes) -> dict[str, list[str]]:
    """The form's payload with ``changes`` applied (a list value for several values, None to
    leave a field out as an unticked checkbox would)."""
    payload = {name: list(values) for name, values in form.items() if name != "__kinds__"}
    for name, value in changes.items():
        if value is None:
            payload.pop(name, None)
        else:
            payload[name] = (
                [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
            )
    return payload


def form_errors(response):
    """The errors of the admin form on a re-rendered page (for assertion messages)."""
    context = getattr(response, "context", None) or {}
    found = []
    for key in ("adminform", "form"):
        form = context.get(key) if hasattr(context, "get") else None
        form = getattr(form, "form", form)
        if form is not None and getattr(form, "errors", None):
            found.append(form.errors.get_json_data())
    return found
