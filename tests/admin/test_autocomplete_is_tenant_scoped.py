"""The admin's autocomplete endpoint answers every relation of every registered model (Django
serves any relation whose target has an admin with search_fields, not only the fields listed in
``autocomplete_fields``) with exactly the rows the persona may see: never another tenant's."""

from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered

from tests.admin.walk import (
    PERSONAS,
    TENANT_PERSONAS,
    as_request,
    assert_no_leak,
    expected_visible,
    is_tenant_data,
    model_admin,
    registered_models,
    tenant_id_of,
)


def _relations():
    found = []
    for model in registered_models():
        for field in [*model._meta.fields, *model._meta.many_to_many]:
            if not field.is_relation:
                continue
            try:
                target_admin = admin.site.get_model_admin(field.related_model)
            except NotRegistered:
                continue
            if target_admin.search_fields:
                found.append((model, field))
    return found


RELATIONS = _relations()


def _url(model, field, term=""):
    return "/admin/autocomplete/?" + urlencode(
        {
            "app_label": model._meta.app_label,
            "model_name": model._meta.model_name,
            "field_name": field.name,
            "term": term,
        }
    )


def test_the_walk_covers_the_scoped_relations():
    names = {f"{model._meta.label}.{field.name}" for model, field in RELATIONS}
    assert {
        "scoping_app.Ticket.assigned_to",
        "scoping_app.Ticket.department",
        "scoping_app.Ticket.watchers",
        "accounts.User.departments",
        "accounts.User.tenant",
    } <= names


@pytest.mark.parametrize(
    "model,field", RELATIONS, ids=[f"{m._meta.label}.{f.name}" for m, f in RELATIONS]
)
@pytest.mark.parametrize("persona", PERSONAS)
def test_autocomplete_offers_exactly_what_the_persona_may_see(walk, login, persona, model, field):
    user = walk.user(persona)
    target = field.related_model
    response = login(user).get(_url(model, field))
    allowed = model_admin(target).has_view_permission(as_request(user))
    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        return
    data = response.json()
    assert data["pagination"]["more"] is False
    offered = {row["id"] for row in data["results"]}
    choosable = target._default_manager.complex_filter(field.get_limit_choices_to())
    expected = {str(obj.pk) for obj in choosable if expected_visible(user, obj)}
    assert offered == expected
    if not user.is_superuser:
        assert all(
            tenant_id_of(obj) in (None, user.tenant_id)
            for obj in target._default_manager.filter(pk__in=offered)
        )
        assert_no_leak(walk, persona, response, "an autocomplete answer")
    elif is_tenant_data(target):  # staff are offered both tenants' rows
        offered_rows = target._default_manager.filter(pk__in=offered)
        assert {tenant_id_of(obj) for obj in offered_rows} >= {
            walk.cast.acme.pk,
            walk.cast.globex.pk,
        }


@pytest.mark.parametrize("persona", TENANT_PERSONAS)
def test_autocomplete_search_for_another_tenants_row_finds_nothing(walk, login, persona):
    user = walk.user(persona)
    client = login(user)
    searched = 0
    for model, field in RELATIONS:
        if not is_tenant_data(field.related_model):
            continue
        term = str(walk.other_row(field.related_model, persona))
        response = client.get(_url(model, field, term))
        allowed = model_admin(field.related_model).has_view_permission(as_request(user))
        assert response.status_code == (200 if allowed else 403)
        if allowed:
            searched += 1
            assert response.json()["results"] == [], f"{model._meta.label}.{field.name}"
            assert_no_leak(walk, persona, response, "an autocomplete search", echoed=term)
    assert searched, f"{persona} may search no relation at all"


@pytest.mark.parametrize("persona", TENANT_PERSONAS)
def test_site_search_does_not_find_other_tenant_rows(walk, login, persona):
    """unfold's command search (/admin/search/) goes through each admin's queryset too."""
    user = walk.user(persona)
    other = {"acme": "globex", "globex": "acme"}[user.tenant.slug]
    client = login(user)
    for model_rows in walk.rows.values():
        if other in model_rows:
            term = str(model_rows[other])
            response = client.get("/admin/search/", {"s": term})
            assert response.status_code == 200
            assert_no_leak(walk, persona, response, "the site search", echoed=term + term.lower())
