"""The preview is the import without any write: same report, nothing changed, no signal sent."""

import pytest
from django.apps import apps
from django.db.models import signals

from contacts import services
from contacts.models import ContactList, Tag

CONTENT = (
    "nome;telefone;email;tags;plano\n"
    "Ana Souza;11987654321;ana@novo.com;vip;ouro\n"  # updates Ana, tags her
    "Bia;21998765432;bia@x.com;velha;\n"  # replaced by the row below: its tag is not created
    "Caio;31988776655;caio@x.com;;\n"  # unchanged
    "Ruim;123;;;\n"  # invalid
    "Bia de novo;21998765432;bia@x.com;vip,nova;\n"  # Bia again, new, with a tag to create
)


@pytest.fixture
def existing(cast):
    services.create_contact(cast.acme, name="Ana", phone="11987654321", email="ana@velho.com")
    services.create_contact(cast.acme, name="Caio", phone="31988776655", email="caio@x.com")
    Tag.objects.create(tenant=cast.acme, name="vip")
    return ContactList.objects.create(tenant=cast.acme, name="Feira")


def every_table():
    """Rows of every table and the counters tags and lists keep."""
    counted = {model._meta.label: model._default_manager.count() for model in apps.get_models()}
    counted["tag counters"] = sorted(Tag.objects.values_list("name", "contact_count"))
    counted["list counters"] = sorted(ContactList.objects.values_list("name", "contact_count"))
    return counted


@pytest.fixture
def sent_signals():
    sent = []

    def receiver(sender, **kwargs):
        sent.append((kwargs["signal"], sender))

    watched = (signals.pre_save, signals.post_save, signals.m2m_changed, signals.pre_delete)
    for signal in watched:
        signal.connect(receiver, weak=False, dispatch_uid="import-dry-run-test")
    yield sent
    for signal in watched:
        signal.disconnect(dispatch_uid="import-dry-run-test")


def test_a_dry_run_writes_nothing_and_sends_no_signal(cast, importer, existing, sent_signals):
    before = every_table()
    report = importer(CONTENT, dry_run=True, tag_names=["Feira 2026"], contact_list_id=existing.pk)
    assert every_table() == before
    assert sent_signals == []
    assert report.dry_run
    # Caio's values are the same, but he would gain the tag and the list: updated
    assert report.counts == {
        "new": 1,
        "updated": 2,
        "unchanged": 0,
        "skipped": 0,
        "invalid": 1,
        "duplicate": 1,
    }
    assert sorted(report.new_tags) == ["Feira 2026", "nova"]


def test_a_dry_run_says_what_the_import_then_does(cast, importer, existing):
    options = {"tag_names": ["Feira 2026"], "contact_list_id": existing.pk}
    preview = importer(CONTENT, dry_run=True, **options)
    done = importer(CONTENT, **options)
    assert not done.dry_run
    assert preview.counts == done.counts
    assert (preview.new_tags, preview.tag_links, preview.list_additions) == (
        done.new_tags,
        done.tag_links,
        done.list_additions,
    )
    assert [(o.row_number, o.status, o.reason) for o in preview.preview] == [
        (o.row_number, o.status, o.reason) for o in done.preview
    ]
    assert preview.rejected == done.rejected


def test_a_contact_is_unchanged_only_if_it_gains_no_tag_nor_list(cast, importer, existing):
    assert importer(CONTENT, dry_run=True).counts["unchanged"] == 1
    joining = importer(CONTENT, dry_run=True, contact_list_id=existing.pk)
    assert (joining.counts["unchanged"], joining.counts["updated"]) == (0, 2)


def test_a_dry_run_reports_the_plan_limit_instead_of_failing(cast, importer, english_messages):
    plan = cast.globex.plan  # Starter
    plan.max_contacts = 2
    plan.save()
    report = importer(
        "telefone\n11987654321\n11987654322\n11987654323\n", tenant=cast.globex, dry_run=True
    )
    assert report.counts["new"] == 3
    assert "allows 2 contacts and 2 more fit; you tried to add 3" in report.limit_error


def test_a_dry_run_inside_a_transaction_leaves_it_writable(cast, importer):
    importer("telefone\n11987654321\n", dry_run=True)
    Tag.objects.create(tenant=cast.acme, name="still writable")  # no read-only left behind


def test_a_report_survives_a_trip_through_json(cast, importer, existing):
    import json

    from contacts.importing import ImportReport

    report = importer(CONTENT, dry_run=True, tag_names=["Feira 2026"])
    stored = json.loads(json.dumps(report.as_dict()))
    again = ImportReport.from_dict(stored)
    assert (again.counts, again.new_tags, again.total_rows) == (
        report.counts,
        report.new_tags,
        report.total_rows,
    )
    assert [(o.row_number, o.status, o.reason) for o in again.preview] == [
        (o.row_number, o.status, o.reason) for o in report.preview
    ]
    assert [list(item) for item in again.rejected] == [list(item) for item in report.rejected]
