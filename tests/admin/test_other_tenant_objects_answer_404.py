"""Every admin URL that takes an object id answers 404 for another tenant's row, to GET and to
POST, and a POST leaves the row as it was.

The URLs are read from each ModelAdmin's own ``get_urls()``, so custom object pages (UserAdmin's
password page, unfold row and detail actions of later issues) are walked too. The POST body is
what a browser would send from that page as platform staff see it, with a visible edit.
"""

import pytest
from django.contrib.admin.utils import quote
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from tests.admin.walk import (
    TENANT_PERSONAS,
    as_request,
    form_errors,
    model_admin,
    object_url,
    object_url_patterns,
    read_form,
    snapshot,
    tampered,
    tenant_models,
)

MODELS = tenant_models()
# Pages whose POST changes the row when the persona is allowed to (the staff control below).
WRITING_VIEWS = ("change", "delete", "password_change")


def _payload(staff_client, url, name):
    """What staff's browser would post from this page; no GET for unknown pages, which may
    be actions that run on GET."""
    if not any(name.endswith(f"_{view}") for view in WRITING_VIEWS):
        return {}
    response = staff_client.get(url)
    assert response.status_code == 200, f"staff cannot open {url}"
    return tampered(read_form(response))


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
@pytest.mark.parametrize("persona", TENANT_PERSONAS)
def test_other_tenant_object_urls_answer_404_and_change_nothing(walk, client, persona, model):
    other = walk.other_row(model, persona)
    before = snapshot(other)
    patterns = object_url_patterns(model)
    assert patterns, f"{model._meta.label} has no object URLs to walk"

    client.force_login(walk.user("staff"))
    payloads = {
        name: _payload(client, object_url(changelist, route, other), name)
        for name, _pattern, changelist, route in patterns
    }
    client.force_login(walk.user(persona))
    for name, _pattern, changelist, route in patterns:
        url = object_url(changelist, route, other)
        response = client.get(url, follow=True)
        assert response.status_code == 404, f"GET {url} ({name}) as {persona}"
        response = client.post(url, payloads[name], follow=True)
        assert response.status_code == 404, f"POST {url} ({name}) as {persona}"
        assert snapshot(other) == before, f"POST {url} ({name}) as {persona} changed the row"

    # The admin's "view on site" shortcut, followed to wherever it leads.
    content_type = ContentType.objects.get_for_model(model)
    url = reverse("admin:view_on_site", args=[content_type.pk, quote(other.pk)])
    assert client.get(url, follow=True).status_code == 404, url


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_the_posted_edits_do_change_rows_when_allowed(walk, client, model):
    """Control for the test above: the very payloads change the row when staff post them, so
    an unchanged row there means the request was refused, not that the payload was inert."""
    client.force_login(walk.user("staff"))
    target = walk.row(model, "globex")
    # Read-only records (an export, say) have a change page that only shows them.
    staff_may_change = model_admin(model).has_change_permission(as_request(walk.user("staff")))
    writing = [
        (name, changelist, route)
        for name, _pattern, changelist, route in object_url_patterns(model)
        if any(name.endswith(f"_{view}") for view in WRITING_VIEWS)
        and (staff_may_change or not name.endswith("_change"))
    ]
    assert writing, f"{model._meta.label} has no change or delete page"
    for name, changelist, route in sorted(writing, key=lambda row: row[0].endswith("_delete")):
        before = snapshot(target)
        url = object_url(changelist, route, target)
        response = client.post(url, _payload(client, url, name))
        assert response.status_code == 302, f"staff's POST to {url} was refused: {
            form_errors(response)
        }"
        assert snapshot(target) != before, f"staff's POST to {url} changed nothing"
