"""Tags, lists and the timeline after an import: counters move by the links really added."""

import pytest

from contacts import services
from contacts.importing import ImportOptions, SpreadsheetError, guess_mapping, run_import
from contacts.models import Contact, ContactEvent, ContactList, ContactTag, Tag
from tests.contacts.importing.conftest import table_of

Kind = ContactEvent.Kind


@pytest.fixture
def setup(cast):
    vip = Tag.objects.create(tenant=cast.acme, name="VIP")
    feira = ContactList.objects.create(tenant=cast.acme, name="Feira")
    ana = services.create_contact(cast.acme, name="Ana", phone="11987654321")
    caio = services.create_contact(cast.acme, name="Caio", phone="31988776655")
    services.add_tag(cast.acme, Contact.objects.filter(pk=ana.pk), vip)
    services.add_to_list(cast.acme, Contact.objects.filter(pk=ana.pk), feira)
    globex_vip = Tag.objects.create(tenant=cast.globex, name="vip")
    return vip, feira, ana, caio, globex_vip


CONTENT = (
    "nome;telefone;tags\n"
    "Ana Souza;11987654321;vip\n"  # updated; already VIP and in the list
    "Caio;31988776655;vip\n"  # same values; gains VIP and the list
    "Bia;21998765432;vip,cliente\n"  # new
)


def test_counters_move_by_the_links_really_added(cast, importer, setup):
    vip, feira, _ana, _caio, globex_vip = setup
    report = importer(CONTENT, contact_list_id=feira.pk)
    assert report.counts["new"] == 1 and report.counts["updated"] == 2
    vip.refresh_from_db()
    feira.refresh_from_db()
    assert vip.contact_count == 3 == ContactTag.objects.filter(tag=vip).count()
    assert feira.contact_count == 3 == feira.listmembership_set.count()
    assert (report.tag_links, report.list_additions) == (3, 2)  # Bia: VIP, cliente; Caio: VIP
    globex_vip.refresh_from_db()
    assert globex_vip.contact_count == 0  # a tag of the same name elsewhere is not used
    assert not Tag.objects.filter(tenant=cast.acme, name="vip").exists()  # matched "VIP"


def test_importing_again_moves_no_counter(cast, importer, setup):
    _vip, feira, *_ = setup

    def counters():
        tags = sorted(Tag.objects.values_list("name", "contact_count"))
        return tags, ContactList.objects.get(pk=feira.pk).contact_count

    importer(CONTENT, contact_list_id=feira.pk, tag_names=["Feira 2026"])
    first = counters()
    assert first == ([("Feira 2026", 3), ("VIP", 3), ("cliente", 1), ("vip", 0)], 3)
    report = importer(CONTENT, contact_list_id=feira.pk, tag_names=["Feira 2026"])
    assert report.counts["unchanged"] == 3
    assert counters() == first


def test_the_timeline_says_imported_updated_tagged_and_listed(cast, setup):
    _vip, feira, ana, caio, _globex = setup
    table = table_of(CONTENT, "feira-2026.csv")
    run_import(
        cast.acme,
        table,
        guess_mapping(table.header),
        ImportOptions(contact_list_id=feira.pk),
        dry_run=False,
        by=cast.ana,
    )
    bia = Contact.objects.get(phone="+5521998765432")
    assert bia.source == Contact.Source.IMPORT
    assert list(bia.events.values_list("kind", "detail", "actor")) == [
        (Kind.IMPORTED, "feira-2026.csv", cast.ana.pk)
    ]
    assert sorted(ana.events.exclude(kind__in=[Kind.CREATED]).values_list("kind", "detail")) == [
        (Kind.LISTED, "Feira"),
        (Kind.TAGGED, "VIP"),
        (Kind.UPDATED, "feira-2026.csv"),
    ]
    assert sorted(caio.events.exclude(kind=Kind.CREATED).values_list("kind", "detail")) == [
        (Kind.LISTED, "Feira"),
        (Kind.TAGGED, "VIP"),
    ]


def test_a_new_tag_is_created_for_the_tenant_with_its_count(cast, importer):
    importer("telefone;etiquetas\n11987654321;Black Friday\n21998765432;black friday\n")
    tag = Tag.objects.get(tenant=cast.acme)
    assert (tag.name, tag.contact_count) == ("Black Friday", 2)


def test_a_list_of_another_tenant_is_refused(cast, importer):
    theirs = ContactList.objects.create(tenant=cast.globex, name="Deles")
    with pytest.raises(SpreadsheetError, match="list chosen for this import no longer exists"):
        importer("telefone\n11987654321\n", contact_list_id=theirs.pk)
    assert not Contact.objects.exists()


def test_progress_is_reported_while_reading_and_at_the_end(cast):
    content = "telefone\n" + "".join(f"1198{n:07d}\n" for n in range(4500))
    table = table_of(content)
    calls = []
    run_import(
        cast.acme,
        table,
        guess_mapping(table.header),
        ImportOptions(),
        dry_run=False,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(2000, 4500), (4000, 4500), (4500, 4500)]


def test_the_same_tag_twice_in_a_cell_or_in_the_options_links_once(cast, importer):
    importer('telefone,tags\n11987654321,"VIP;vip , Vip"\n', tag_names=["vip"])
    tag = Tag.objects.get(tenant=cast.acme)
    # spelled as the option was typed; one tag, one link
    assert (tag.name, tag.contact_count, ContactTag.objects.count()) == ("vip", 1, 1)


def test_a_tag_option_that_cannot_be_a_tag_is_refused_before_reading(cast, importer):
    with pytest.raises(SpreadsheetError, match="more than 60 characters"):
        importer("telefone\n11987654321\n", tag_names=["x" * 61])
    assert not Contact.objects.exists()
