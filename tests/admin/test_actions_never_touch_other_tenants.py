"""Every changelist action of every admin (custom ones and ``delete_selected``), and every
change-form action (Django 6.1), run by a tenant persona with the other tenant's row selected,
leaves that row alone; so does "select all" across the persona's own changelist.

Platform rows (plans, jobs, groups) are not a tenant persona's either: the same actions posted
at them change nothing.
"""

import pytest
from django.contrib.admin import helpers
from django.contrib.admin.options import ActionLocation

from accounts.models import User
from tests.admin.walk import (
    TENANT_PERSONAS,
    admin_url,
    as_request,
    expected_status,
    is_tenant_data,
    model_admin,
    registered_models,
    snapshot,
)

MODELS = registered_models()


def _action_names(model, *users, location=ActionLocation.CHANGE_LIST):
    """Every action any of ``users`` could pick, plus delete_selected even where hidden."""
    names = {"delete_selected"} if location == ActionLocation.CHANGE_LIST else set()
    for user in users:
        names |= set(model_admin(model).get_actions(as_request(user), action_location=location))
    return sorted(names)


def _not_theirs(walk, model, persona):
    if is_tenant_data(model):
        return walk.other_row(model, persona)
    return walk.row(model)


def _asks_first(response):
    """Actions that need a choice answer the changelist POST with a page of their own."""
    return any(t.name and t.name.endswith("/bulk_action.html") for t in response.templates or [])


def _expected_post_status(user, model):
    """A changelist POST: 403 without view permission; else a redirect when the persona has
    any action to run (even an unknown one is answered "no action selected" and redirected),
    else the changelist again (the POST is not an action at all)."""
    if expected_status(user, model, "changelist") == 403:
        return 403
    return 302 if model_admin(model).get_actions(as_request(user)) else 200


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
@pytest.mark.parametrize("persona", TENANT_PERSONAS)
def test_actions_leave_rows_of_others_alone(walk, login, persona, model):
    user = walk.user(persona)
    target = _not_theirs(walk, model, persona)
    before = snapshot(target)
    client = login(user)
    url = admin_url(model, "changelist")
    actions = _action_names(model, walk.user("staff"), user)
    assert "delete_selected" in actions

    for action in actions:
        response = client.post(
            url,
            {
                "action": action,
                "index": "0",
                "post": "yes",
                helpers.ACTION_CHECKBOX_NAME: [str(target.pk)],
            },
        )
        assert response.status_code == _expected_post_status(user, model), action
        assert snapshot(target) == before, f"{action} run by {persona} changed {target!r}"

    # "Select all" runs on the persona's whole changelist: never further than that. (Deleting
    # goes last: across Users it deletes the persona too.)
    own = walk.own_rows(model, persona)[0]
    for action in sorted(actions, key=lambda name: name == "delete_selected"):
        response = client.post(
            url,
            {
                "action": action,
                "index": "0",
                "post": "yes",
                "select_across": "1",
                helpers.ACTION_CHECKBOX_NAME: [str(own.pk)],
            },
        )
        expected = _expected_post_status(user, model)
        if model is User and action == "delete_selected" and expected == 302:
            expected = 403  # it would delete the company's last administrator: refused
        if expected == 302 and _asks_first(response):
            expected = 200  # the action's own page (choose a tag, a reason...) comes first
        assert response.status_code == expected, action
        assert snapshot(target) == before, (
            f"{action} across {persona}'s changelist changed {target!r}"
        )


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
@pytest.mark.parametrize("persona", TENANT_PERSONAS)
def test_change_form_actions_on_others_rows_answer_404_or_403(walk, login, persona, model):
    user = walk.user(persona)
    target = _not_theirs(walk, model, persona)
    before = snapshot(target)
    client = login(user)
    prefix = ActionLocation.CHANGE_FORM.value
    actions = _action_names(
        model, walk.user("staff"), user, location=ActionLocation.CHANGE_FORM
    ) or [""]  # no change-form action registered yet: post the bare action form anyway
    for action in actions:
        response = client.post(
            admin_url(model, "change", target),
            {
                f"{prefix}-action": action,
                f"{prefix}-index": "0",
                helpers.ACTION_CHECKBOX_NAME: [str(target.pk)],
            },
        )
        assert response.status_code == expected_status(user, model, "change", target), action
        assert response.status_code in (403, 404)
        assert snapshot(target) == before, f"{action or 'action form'} changed {target!r}"


def test_an_action_changes_exactly_the_rows_the_persona_sees(walk, login, cast):
    """Control: the custom Ticket action runs for marcos, on his Sales ticket only."""
    from tests.scoping_app.models import Ticket

    support = Ticket.objects.create(
        tenant=cast.acme, title="Support only", department=cast.departments[("acme", "Support")]
    )
    sales = walk.row(Ticket, "acme")
    globex = walk.row(Ticket, "globex")
    response = login(cast.marcos).post(
        admin_url(Ticket, "changelist"),
        {
            "action": "mark_urgent",
            "index": "0",
            "select_across": "1",
            helpers.ACTION_CHECKBOX_NAME: [str(sales.pk)],
        },
    )
    assert response.status_code == 302
    titles = dict(Ticket.objects.values_list("pk", "title"))
    assert titles[sales.pk] == "URGENT"
    assert titles[support.pk] == "Support only"
    assert titles[globex.pk] == globex.title
