"""The walk: every registered admin, as every persona: changelist, add, change, delete, history.

Each answer is exactly what the persona's permissions say (see ``walk.expected_status``), the
persona's own rows show up where they may look, and no page served to a tenant persona carries
an id, marker or name of the other tenant.
"""

import pytest
from django.urls import reverse

from tests.admin.factories import FACTORIES
from tests.admin.walk import (
    PERSONAS,
    TENANT_PERSONAS,
    admin_url,
    as_request,
    assert_no_leak,
    expected_status,
    expected_visible,
    is_tenant_data,
    missing_factory_message,
    model_admin,
    registered_models,
)

MODELS = registered_models()


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_every_registered_model_has_a_factory(model):
    if model._meta.label not in FACTORIES:
        pytest.fail(missing_factory_message(model))


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
@pytest.mark.parametrize("persona", PERSONAS)
def test_admin_views_answer_as_the_persona_may(walk, login, persona, model):
    user = walk.user(persona)
    client = login(user)
    tenant_persona = not user.is_superuser

    response = client.get(admin_url(model, "changelist"))
    assert response.status_code == expected_status(user, model, "changelist"), "changelist"
    if response.status_code == 200:
        page = response.content.decode()
        for obj in walk.own_rows(model, persona):
            shown = admin_url(model, "change", obj) in page or f'value="{obj.pk}"' in page
            assert shown == expected_visible(user, obj), (
                f"{persona}'s changelist {'misses' if not shown else 'shows'} {obj!r}"
            )
        if tenant_persona:
            assert_no_leak(walk, persona, response, "the changelist")
        if (
            tenant_persona
            and is_tenant_data(model)
            and model_admin(model).get_search_fields(as_request(user))
        ):
            # Searching for the other tenant's row by its name finds nothing either.
            term = str(walk.other_row(model, persona))
            searched = client.get(admin_url(model, "changelist"), {"q": term})
            assert searched.status_code == 200
            assert_no_leak(walk, persona, searched, "a changelist search", echoed=term)

    response = client.get(admin_url(model, "add"))
    assert response.status_code == expected_status(user, model, "add"), "add"
    if tenant_persona and response.status_code == 200:
        assert_no_leak(walk, persona, response, "the add form")

    for obj in walk.own_rows(model, persona):
        for view in ("change", "delete", "history"):
            response = client.get(admin_url(model, view, obj))
            assert response.status_code == expected_status(user, model, view, obj), (
                f"{view} of {obj!r}"
            )
            if tenant_persona and response.status_code == 200:
                assert_no_leak(walk, persona, response, f"the {view} page")


APP_LABELS = sorted({model._meta.app_label for model in MODELS})


@pytest.mark.parametrize("app_label", APP_LABELS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_app_pages_answer_as_the_persona_may(walk, login, persona, app_label):
    """An app's page lists the models the persona may use, or is a 404 when there are none."""
    user = walk.user(persona)
    request = as_request(user)
    usable = [
        model
        for model in MODELS
        if model._meta.app_label == app_label
        and model_admin(model).has_module_permission(request)
        and True in model_admin(model).get_model_perms(request).values()
    ]
    response = login(user).get(reverse("admin:app_list", args=[app_label]))
    assert response.status_code == (200 if usable else 404)
    if response.status_code == 200:
        page = response.content.decode()
        for model in MODELS:
            if model._meta.app_label == app_label:
                assert (admin_url(model, "changelist") in page) == (model in usable), model
        if not user.is_superuser:
            assert_no_leak(walk, persona, response, f"the {app_label} app page")


@pytest.mark.parametrize("persona", TENANT_PERSONAS)
def test_dashboard_shows_nothing_of_the_other_tenant(walk, login, persona):
    response = login(walk.user(persona)).get(reverse("admin:index"))
    assert response.status_code == 200
    assert walk.user(persona).tenant.name in response.content.decode()
    assert_no_leak(walk, persona, response, "the dashboard")
