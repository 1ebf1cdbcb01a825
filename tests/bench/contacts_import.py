"""Benchmark: the contacts import against a plain COPY + merge and django-import-export, and the
contacts changelist on a tenant with 1,000,000 contacts.

    cd /work/main && .venv/bin/python -m tests.bench.contacts_import [--rows 100000] [--keep]

Everything runs in the database ``tests.settings`` names (created and migrated if missing), in
tenants of its own that are deleted at the end (``--keep`` keeps the big changelist tenant).

Import, measured with a generated 100,000-row Brazilian spreadsheet (names, phones written in
every usual way, some with a separate DDD column, e-mails, cities, UF, birth dates, tags, two
custom columns, ~1% invalid rows, ~0.5% repeated phones), each ``--repeats`` times (median):

1. **csv**: ``read_table`` + ``guess_mapping`` + ``run_import`` (the admin's code path) into an
   empty tenant: parse, map, normalise, validate, upsert, timeline events, tag links.
2. **reimport**: the same CSV again into the tenant of (1): every valid row must come out
   unchanged, and nothing may be written.
3. **xlsx**: the same rows as an XLSX workbook into an empty tenant.
4. **baseline copy+merge**: the rows (1) stored, already normalised, written with psycopg's
   COPY into a temporary table and merged with ``INSERT ... SELECT ... ON CONFLICT (tenant_id,
   phone) DO UPDATE`` into an empty tenant: the fastest plain way to upsert them.
5. **baseline django-import-export**: a plain ``ModelResource`` for Contact with
   ``import_id_fields = ["phone"]`` importing 5,000 of those rows row by row (its default), once;
   and once more with ``Meta.fields`` limited to the 11 imported columns, its fastest plain setup.

Changelist: 1,000,000 contacts generated in SQL for one tenant (and 5,000 for another), ANALYZE,
then Django's test Client logged in as that tenant's admin requests the first page, two filters,
a tag filter and three searches (a common name, digits of phones, a name nobody has), 5 times
each after a warm-up (median server time). The slowest query of any page over the target is
shown with EXPLAIN ANALYZE, and the tag filter is also timed written as an EXISTS subquery
(the page's rows and the capped count), the rewrite docs/performance.md proposes.

Progress goes to stderr; the last line on stdout is one JSON object with the figures.
"""

import argparse
import csv
import datetime
import io
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from importlib import metadata

BENCH_DATE = "2026-11-25"
CHANGELIST_TARGET_MS = 300
RUN = f"bench-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def progress(text: str) -> None:
    print(f"[contacts_import] {text}", file=sys.stderr, flush=True)


from tests.bench.database import ensure_database  # noqa: E402

POSTGRES_VERSION = ensure_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from import_export import resources  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from tablib import Dataset  # noqa: E402

from accounts.models import User  # noqa: E402
from contacts.importing import ImportOptions, guess_mapping, read_table, run_import  # noqa: E402
from contacts.models import Contact, Tag  # noqa: E402
from tenancy.models import Plan, Tenant  # noqa: E402

# --- a realistic Brazilian spreadsheet ----------------------------------------------------------
FIRST = [
    "Maria",
    "Ana",
    "Francisco",
    "Antônio",
    "João",
    "Adriana",
    "Juliana",
    "Márcia",
    "Fernanda",
    "Patrícia",
    "Aline",
    "Carlos",
    "Paulo",
    "Pedro",
    "Lucas",
    "Luiz",
    "Marcos",
    "Luís",
    "Gabriel",
    "Rafael",
    "Sandra",
    "Camila",
    "Amanda",
    "Bruna",
    "Jéssica",
    "Letícia",
    "Júlia",
    "Luciana",
    "Vanessa",
    "Mariana",
    "José",
    "Daniel",
    "Marcelo",
    "Bruno",
    "Eduardo",
    "Felipe",
    "Raimundo",
    "Rodrigo",
    "Sebastião",
    "Beatriz",
    "Conceição",
    "Thiago",
    "Gustavo",
    "Larissa",
    "Renata",
    "Vitória",
    "Heloísa",
]
LAST = [
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Costa",
    "Ribeiro",
    "Martins",
    "Carvalho",
    "Almeida",
    "Lopes",
    "Soares",
    "Fernandes",
    "Vieira",
    "Barbosa",
    "Rocha",
    "Dias",
    "Nascimento",
    "Andrade",
    "Moreira",
    "Nunes",
    "Marques",
    "Machado",
    "Mendes",
    "Freitas",
    "Cardoso",
    "Ramos",
    "Gonçalves",
    "Santana",
    "Teixeira",
    "Araújo",
    "Cavalcanti",
    "Monteiro",
    "Moura",
    "Correia",
]
PLACES = [
    ("São Paulo", "SP", "11"),
    ("Campinas", "SP", "19"),
    ("Santos", "SP", "13"),
    ("Ribeirão Preto", "SP", "16"),
    ("Rio de Janeiro", "RJ", "21"),
    ("Niterói", "RJ", "21"),
    ("Belo Horizonte", "MG", "31"),
    ("Uberlândia", "MG", "34"),
    ("Salvador", "BA", "71"),
    ("Fortaleza", "CE", "85"),
    ("Recife", "PE", "81"),
    ("Porto Alegre", "RS", "51"),
    ("Curitiba", "PR", "41"),
    ("Goiânia", "GO", "62"),
    ("Brasília", "DF", "61"),
    ("Manaus", "AM", "92"),
    ("Belém", "PA", "91"),
    ("Florianópolis", "SC", "48"),
    ("Vitória", "ES", "27"),
    ("Natal", "RN", "84"),
    ("São Luís", "MA", "98"),
    ("Santa Maria", "RS", "55"),
]
UF_NAMES = {"SP": "São Paulo", "RJ": "Rio de Janeiro", "MG": "Minas Gerais", "BA": "Bahia"}
DOMAINS = ["gmail.com", "hotmail.com", "yahoo.com.br", "outlook.com", "uol.com.br", "bol.com.br"]
TAGS = ["cliente", "vip", "lead", "newsletter", "black-friday", "inativo"]
HEADER = [
    "Nome",
    "Celular",
    "DDD",
    "E-mail",
    "Cidade",
    "UF",
    "Data de nascimento",
    "Sexo",
    "CEP",
    "Tags",
    "Plano",
    "Vendedor",
]


def ascii_lower(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def spreadsheet(count: int, seed: int = 2026) -> list[list]:
    """Rows of typed values (ints, dates, text), as a person's spreadsheet holds them."""
    rng = random.Random(seed)
    subscribers = rng.sample(range(10_000_000, 100_000_000), count)
    rows, phones = [], []
    for n in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {rng.choice(LAST)} {last}" if rng.random() < 0.4 else f"{first} {last}"
        city, uf, ddd = rng.choice(PLACES)
        number = subscribers[n]
        shape = rng.random()
        ddd_cell = ""
        if shape < 0.10:  # landline
            sub = f"{2 + number % 4}{number % 10_000_000:07d}"
            phone = f"({ddd}) {sub[:4]}-{sub[4:]}"
        elif shape < 0.15:  # old mobile without the ninth digit
            sub = f"{6 + number % 4}{number % 10_000_000:07d}"
            phone = f"({ddd}) {sub[:4]}-{sub[4:]}"
        else:
            sub = f"9{number:08d}"
            phone = rng.choice(
                [
                    f"({ddd}) {sub[:5]}-{sub[5:]}",
                    f"{ddd}{sub}",
                    f"+55 {ddd} {sub[:5]}-{sub[5:]}",
                    f"55{ddd}{sub}",
                    f"{ddd} {sub[0]} {sub[1:5]}-{sub[5:]}",
                    f"0{ddd} {sub}",
                ]
            )
            if shape > 0.85:  # a separate DDD column
                phone, ddd_cell = f"{sub[:5]}-{sub[5:]}", ddd
        email = ""
        if rng.random() < 0.8:
            email = f"{ascii_lower(first)}.{ascii_lower(last)}{n}@{rng.choice(DOMAINS)}"
            if rng.random() < 0.05:
                email = email.upper()
        birth = None
        if rng.random() < 0.7:
            birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(20_000))
        gender = rng.choice(["F", "M", "Feminino", "Masculino", ""])
        zip_code = f"{rng.randrange(1_000_000, 99_999_999):08d}" if rng.random() < 0.6 else ""
        zip_code = f"{zip_code[:5]}-{zip_code[5:]}" if zip_code and rng.random() < 0.7 else zip_code
        tags = ";".join(rng.sample(TAGS, rng.choice([0, 0, 1, 1, 2])))
        plan = rng.choice(["ouro", "prata", "bronze", ""])
        seller = rng.choice(FIRST)
        uf_cell = UF_NAMES.get(uf, uf) if rng.random() < 0.05 else uf
        row = [
            name,
            phone,
            ddd_cell,
            email,
            city,
            uf_cell,
            birth,
            gender,
            zip_code,
            tags,
            plan,
            seller,
        ]
        mistake = rng.random()
        if mistake < 0.005:
            row[1], row[2] = rng.choice(["1234", "(11) 1234-567", "telefone", "+1 999"]), ""
        elif mistake < 0.010:
            row[3] = rng.choice(["fulano@", "sem arroba.com", "a@b"])
        elif mistake < 0.015 and phones:  # the same person again, written another way
            earlier = rng.choice(phones)
            row[1], row[2] = f"+55 {earlier[0]} {earlier[1][:5]}-{earlier[1][5:]}", ""
        if len(sub) == 9 and not row[2]:
            phones.append((ddd, sub))
        rows.append(row)
    return rows


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def csv_file(rows) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([cell_text(value) for value in row])
    return ("\ufeff" + text.getvalue()).encode()


def xlsx_file(rows) -> bytes:
    """As Excel users keep them: digits-only phones and the DDD as numbers, dates as dates."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Contatos")
    sheet.append(HEADER)
    for row in rows:
        cells = list(row)
        if cells[1].isdigit():
            cells[1] = int(cells[1])
        if cells[2]:
            cells[2] = int(cells[2])
        cells[6] = datetime.datetime.combine(cells[6], datetime.time()) if cells[6] else None
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- tenants of this run ------------------------------------------------------------------------
class Tenants:
    def __init__(self):
        self.plan = Plan.objects.create(name=f"Benchmark {RUN}", slug=RUN, is_active=False)
        self.made: list[Tenant] = []

    def new(self, label: str) -> Tenant:
        tenant = Tenant.objects.create(
            name=f"{label} ({RUN})", slug=f"{RUN}-{label}", plan=self.plan, status="active"
        )
        self.made.append(tenant)
        return tenant

    def drop(self, tenant: Tenant) -> None:
        """Raw deletes, child tables first: the ORM's cascade would load every row."""
        started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM contacts_contacttag WHERE tag_id IN "
                "(SELECT id FROM contacts_tag WHERE tenant_id = %s)",
                [tenant.pk],
            )
            cursor.execute(
                "DELETE FROM contacts_listmembership WHERE contact_list_id IN "
                "(SELECT id FROM contacts_contactlist WHERE tenant_id = %s)",
                [tenant.pk],
            )
            for table in (
                "contacts_contactevent",
                "contacts_contact",
                "contacts_tag",
                "contacts_contactlist",
            ):
                cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])
            User.objects.filter(tenant=tenant).delete()
            tenant.delete()
        self.made.remove(tenant)
        progress(f"dropped tenant {tenant.slug} in {time.monotonic() - started:.1f}s")

    def drop_all(self, keep=()) -> None:
        for tenant in list(self.made):
            if tenant.slug not in keep:
                self.drop(tenant)
        if not self.made:
            self.plan.delete()


# --- the measurements ---------------------------------------------------------------------------
def our_import(tenant, data: bytes, name: str):
    started = time.perf_counter()
    table = read_table(io.BytesIO(data), name)
    report = run_import(tenant, table, guess_mapping(table.header), ImportOptions(), dry_run=False)
    return time.perf_counter() - started, report


def stored_rows(tenant) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, phone, email, birth_date, gender, city, state, country, zip_code, "
            "notes, custom_fields::text FROM contacts_contact WHERE tenant_id = %s ORDER BY phone",
            [tenant.pk],
        )
        return cursor.fetchall()


MERGE_COLUMNS = (
    "name, phone, email, birth_date, gender, city, state, country, zip_code, notes, custom_fields"
)


def copy_and_merge(tenant, rows) -> float:
    """The baseline: COPY of normalised rows into a temporary table, then one upsert."""
    started = time.perf_counter()
    with transaction.atomic():
        raw = connection.connection
        with raw.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE incoming (name text, phone text, email text, "
                "birth_date date, gender text, city text, state text, country text, "
                "zip_code text, notes text, custom_fields jsonb) ON COMMIT DROP"
            )
            with cursor.copy(f"COPY incoming ({MERGE_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO contacts_contact (id, tenant_id, {MERGE_COLUMNS}, opted_out, "
                "opt_out_reason, source, created_at, updated_at, whatsapp_name, "
                "profile_picture_url) "
                f"SELECT gen_random_uuid(), %s, {MERGE_COLUMNS}, false, '', 'import', now(), "
                "now(), '', '' FROM incoming "
                "ON CONFLICT (tenant_id, phone) DO UPDATE SET name = EXCLUDED.name, "
                "email = EXCLUDED.email, birth_date = EXCLUDED.birth_date, "
                "gender = EXCLUDED.gender, city = EXCLUDED.city, state = EXCLUDED.state, "
                "country = EXCLUDED.country, zip_code = EXCLUDED.zip_code, "
                "notes = EXCLUDED.notes, custom_fields = contacts_contact.custom_fields || "
                "EXCLUDED.custom_fields, updated_at = now()",
                [tenant.pk],
            )
    return time.perf_counter() - started


LIBRARY_COLUMNS = [
    "tenant", "name", "phone", "email", "birth_date", "gender", "city", "state", "country",
    "zip_code", "notes",
]  # fmt: skip


def library_import(tenant, rows, *, only_these_fields: bool) -> float:
    """django-import-export's default: one row at a time, a lookup and a save each.

    ``only_these_fields=False`` is the plain ModelResource the issue names (every model field
    takes part, so each row's diff also reads its tags and lists); ``True`` lists the 11
    imported columns in ``Meta.fields``, the fastest plain configuration.
    """

    class ContactResource(resources.ModelResource):
        class Meta:
            model = Contact
            import_id_fields = ["phone"]
            if only_these_fields:
                fields = LIBRARY_COLUMNS

        def get_queryset(self):
            # The library's lookup is not tenant-aware; scoped here only so it cannot match
            # the same phones in the other benchmark tenants. Same one query per row.
            return Contact.objects.filter(tenant=tenant)

    dataset = Dataset(headers=LIBRARY_COLUMNS)
    for name, phone, email, birth, gender, city, state, country, zip_code, notes, _c in rows:
        dataset.append(
            [tenant.pk, name, phone, email, birth, gender, city, state, country, zip_code, notes]
        )
    started = time.perf_counter()
    result = ContactResource().import_data(dataset, dry_run=False, raise_errors=True)
    elapsed = time.perf_counter() - started
    assert not result.has_errors() and result.totals["new"] == len(rows), result.totals
    return elapsed


def table_size(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size(%s)", [name])
        return cursor.fetchone()[0]


def import_benchmark(args, tenants: Tenants) -> dict:
    progress(f"generating {args.rows:,} rows")
    rows = spreadsheet(args.rows)
    csv_data, xlsx_data = csv_file(rows), xlsx_file(rows)
    progress(f"CSV {len(csv_data) / 1e6:.1f} MB, XLSX {len(xlsx_data) / 1e6:.1f} MB")

    warm = tenants.new("warmup")
    our_import(warm, csv_data[:200_000], "aquecimento.csv")  # imports, connection, caches
    tenants.drop(warm)

    times = {"csv": [], "reimport": [], "xlsx": [], "copy_merge": []}
    first_tenant, report = None, None
    normalised = None
    for repeat in range(1, args.repeats + 1):
        tenant = tenants.new(f"csv{repeat}")
        seconds, report = our_import(tenant, csv_data, "contatos.csv")
        times["csv"].append(seconds)
        progress(f"run {repeat} csv      {seconds:6.2f}s {report.counts} {report.seconds}")
        if first_tenant is None:
            first_tenant, first_report = tenant, report
            normalised = stored_rows(tenant)
        seconds, again = our_import(first_tenant, csv_data, "contatos.csv")
        times["reimport"].append(seconds)
        progress(f"run {repeat} reimport {seconds:6.2f}s {again.counts} {again.seconds}")
        imported = report.counts["new"]
        if again.counts["unchanged"] != imported or again.counts["updated"] != 0:
            raise RuntimeError(f"re-import changed rows: {again.counts}")

        tenant = tenants.new(f"xlsx{repeat}")
        seconds, xlsx_report = our_import(tenant, xlsx_data, "contatos.xlsx")
        times["xlsx"].append(seconds)
        progress(f"run {repeat} xlsx     {seconds:6.2f}s {xlsx_report.seconds}")
        if xlsx_report.counts != report.counts:
            raise RuntimeError(f"xlsx and csv disagree: {xlsx_report.counts} {report.counts}")
        tenants.drop(tenant)

        tenant = tenants.new(f"copy{repeat}")
        seconds = copy_and_merge(tenant, normalised)
        times["copy_merge"].append(seconds)
        progress(f"run {repeat} copy     {seconds:6.2f}s ({len(normalised):,} rows)")
        tenants.drop(tenant)
        if repeat > 1:
            tenants.drop(next(t for t in tenants.made if t.slug.endswith(f"csv{repeat}")))

    library_rows = normalised[: args.library_rows]
    library_seconds = {}
    for variant, only_these_fields in (("plain", False), ("fields", True)):
        library_tenant = tenants.new(f"library-{variant}")
        seconds = library_import(library_tenant, library_rows, only_these_fields=only_these_fields)
        library_seconds[variant] = seconds
        progress(f"library {variant:<6} {seconds:6.2f}s ({len(library_rows):,} rows, once)")
        tenants.drop(library_tenant)
    tenants.drop(first_tenant)

    median = {name: statistics.median(values) for name, values in times.items()}
    contacts = first_report.counts["new"]
    rate = {
        "csv": contacts / median["csv"],
        "reimport": contacts / median["reimport"],
        "xlsx": contacts / median["xlsx"],
        "copy_merge": len(normalised) / median["copy_merge"],
        "library": len(library_rows) / library_seconds["plain"],
        "library_fields": len(library_rows) / library_seconds["fields"],
    }
    return {
        "rows": args.rows,
        "contacts_imported": contacts,
        "counts": first_report.counts,
        "csv_mb": round(len(csv_data) / 1e6, 1),
        "xlsx_mb": round(len(xlsx_data) / 1e6, 1),
        "seconds": {name: round(value, 2) for name, value in median.items()},
        "runs_seconds": {name: [round(v, 2) for v in values] for name, values in times.items()},
        "library_seconds": {name: round(value, 2) for name, value in library_seconds.items()},
        "library_rows": len(library_rows),
        "contacts_per_s": {name: round(value) for name, value in rate.items()},
        "file_rows_per_s_csv": round(args.rows / median["csv"]),
        "ratio_csv_vs_copy_merge": round(rate["csv"] / rate["copy_merge"], 3),
        "ratio_csv_vs_library": round(rate["csv"] / rate["library"], 1),
        "ratio_csv_vs_library_fields": round(rate["csv"] / rate["library_fields"], 1),
        "ratio_reimport_vs_csv_time": round(median["reimport"] / median["csv"], 3),
        "ratio_xlsx_vs_csv_time": round(median["xlsx"] / median["csv"], 3),
    }


# --- the changelist on a million contacts -------------------------------------------------------
FILL_CONTACTS = """
INSERT INTO contacts_contact (id, tenant_id, name, phone, email, birth_date, gender, city, state,
    country, zip_code, notes, custom_fields, opted_out, opted_out_at, opt_out_reason, source,
    last_interaction_at, created_at, updated_at, whatsapp_name, profile_picture_url)
SELECT gen_random_uuid(), %(tenant)s,
    first[1 + (n * 7919) %% array_length(first, 1)] || ' ' || last[1 + (n * 104729) %%
        array_length(last, 1)],
    '+55' || (11 + n %% 80)::text || '9' || lpad(n::text, 8, '0'),
    CASE WHEN n %% 5 = 0 THEN '' ELSE 'cliente' || n || '@exemplo.com.br' END,
    NULL, '', '', ufs[1 + (n * 31) %% array_length(ufs, 1)], 'BR', '', '',
    CASE WHEN n %% 3 = 0 THEN '{"plano": "ouro"}'::jsonb ELSE '{}'::jsonb END,
    n %% 50 = 0, CASE WHEN n %% 50 = 0 THEN now() END, '', 'import', NULL,
    now() - make_interval(secs => n), now(), '', ''
FROM generate_series(1::bigint, %(count)s) AS n,
    (SELECT ARRAY['Maria', 'Ana', 'João', 'José', 'Francisco', 'Antônio', 'Carlos', 'Paulo',
                  'Pedro', 'Lucas', 'Luiz', 'Marcos', 'Gabriel', 'Rafael', 'Juliana', 'Márcia',
                  'Fernanda', 'Patrícia', 'Aline', 'Sandra', 'Camila', 'Amanda', 'Bruna',
                  'Letícia', 'Mariana', 'Beatriz', 'Thiago', 'Larissa', 'Renata'] AS first,
            ARRAY['Silva', 'Santos', 'Oliveira', 'Souza', 'Rodrigues', 'Ferreira', 'Alves',
                  'Pereira', 'Lima', 'Gomes', 'Costa', 'Ribeiro', 'Martins', 'Carvalho',
                  'Almeida', 'Lopes', 'Soares', 'Fernandes', 'Vieira', 'Barbosa', 'Rocha',
                  'Dias', 'Nascimento', 'Andrade', 'Moreira'] AS last,
            ARRAY['SP', 'SP', 'SP', 'SP', 'RJ', 'RJ', 'MG', 'MG', 'BA', 'PR', 'RS', 'PE', 'CE',
                  'SC', 'GO', 'DF', 'ES', 'PA', 'AM', 'MA'] AS ufs) AS words
"""


def fill(tenant, count: int, tag=None) -> float:
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(FILL_CONTACTS, {"tenant": tenant.pk, "count": count})
        if tag is not None:  # one contact in ten carries the tag
            cursor.execute(
                "INSERT INTO contacts_contacttag (contact_id, tag_id) SELECT id, %s FROM "
                "contacts_contact WHERE tenant_id = %s AND right(phone, 1) = '7'",
                [tag.pk, tenant.pk],
            )
            cursor.execute(
                "UPDATE contacts_tag SET contact_count = (SELECT count(*) FROM "
                "contacts_contacttag WHERE tag_id = %s) WHERE id = %s",
                [tag.pk, tag.pk],
            )
    return time.perf_counter() - started


def explain(sql: str, params=None) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def tag_filter_without_distinct(tenant, tag, repeats: int) -> dict:
    """The tag filter's page as an EXISTS subquery instead of a join plus SELECT DISTINCT: the
    page's rows and the capped count, as the changelist runs them."""
    from django.db.models import Exists, OuterRef

    from admin_ext.paginators import COUNT_CAP
    from contacts.models import ContactTag

    tagged = Contact.objects.for_tenant(tenant).filter(
        Exists(ContactTag.objects.filter(contact=OuterRef("pk"), tag=tag))
    )
    page = tagged.select_related("tenant").order_by("-created_at", "-pk")

    def run():
        rows = list(page[:50])
        return len(rows), page[: COUNT_CAP + 1].count()

    run()
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        shown, counted = run()
        runs.append((time.perf_counter() - started) * 1000)
    sql = str(page[:50].query)
    return {
        "median_ms": round(statistics.median(runs), 1),
        "runs_ms": [round(r, 1) for r in runs],
        "rows_shown": shown,
        "capped_count": counted,
        "sql": sql,
        "plan": explain(*page[:50].query.sql_with_params()),
    }


def changelist_benchmark(args, tenants: Tenants) -> dict:
    big, other = tenants.new("million"), tenants.new("other")
    tag = Tag.objects.create(tenant=big, name="vip")
    Tag.objects.create(tenant=other, name="vip")
    progress(f"generating {args.million:,} contacts in SQL for {big.slug}")
    seconds = fill(big, args.million, tag)
    progress(f"  {seconds:.0f}s; and 5,000 for another tenant")
    fill(other, 5000)
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("ANALYZE contacts_contact")
        cursor.execute("ANALYZE contacts_contacttag")
        progress(f"ANALYZE {time.perf_counter() - started:.1f}s")
    admin = User.objects.create_user(
        f"admin@{big.slug}.test",
        "bench-password-1",
        tenant=big,
        role="admin",
        display_name="Bench admin",
    )
    client = Client()
    client.force_login(admin)
    pages = {
        "first_page": "",
        "filter_opted_out": "?opted_out__exact=1",
        "filter_state": "?state__exact=SP",
        "filter_tag": f"?tags__id__exact={tag.pk}",
        "search_name": "?q=maria",
        "search_phone": "?q=98765",
        "search_absent_name": "?q=zuleica",  # no match: nothing to stop a scan early
    }
    timings, explained = {}, {}
    for label, query in pages.items():
        url = f"/admin/contacts/contact/{query}"
        response = client.get(url)  # warm-up
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
        runs = []
        for _ in range(args.page_repeats):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            runs.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        shown = response.content.count(b'name="_selected_action"')  # one checkbox a row
        timings[label] = {
            "median_ms": round(statistics.median(runs), 1),
            "runs_ms": [round(r, 1) for r in runs],
            "queries": len(queries),
            "rows_shown": shown,
        }
        slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
        timings[label]["slowest_query_ms"] = round(float(slowest["time"]) * 1000, 1)
        progress(
            f"{label:<17} {timings[label]['median_ms']:7.1f} ms (runs {timings[label]['runs_ms']},"
            f" {len(queries)} queries, slowest {timings[label]['slowest_query_ms']} ms)"
        )
        if statistics.median(runs) > CHANGELIST_TARGET_MS or args.explain:
            explained[label] = {"sql": slowest["sql"], "plan": explain(slowest["sql"])}
            progress(f"  slowest query: {slowest['sql']}\n{explained[label]['plan']}")
    suggested = tag_filter_without_distinct(big, tag, args.page_repeats)
    progress(f"tag filter as an EXISTS subquery: {suggested['median_ms']} ms")
    return {
        "contacts_in_tenant": args.million,
        "suggested_tag_filter": suggested,
        "fill_seconds": round(seconds, 1),
        "contact_table_mb": round(table_size("contacts_contact") / 1e6),
        "pages": timings,
        "explained": explained,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.contacts_import", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rows", type=int, default=100_000, help="import rows (100000)")
    parser.add_argument("--repeats", type=int, default=3, help="median of this many (3)")
    parser.add_argument("--library-rows", type=int, default=5000, help="(5000)")
    parser.add_argument("--million", type=int, default=1_000_000, help="changelist tenant size")
    parser.add_argument("--page-repeats", type=int, default=5, help="per page (5)")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-changelist", action="store_true")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN every page's slowest")
    parser.add_argument("--keep", action="store_true", help="keep the 1M-contact tenant")
    args = parser.parse_args(argv)

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    tenants = Tenants()
    result = {"benchmark": "contacts_import", "date": BENCH_DATE}
    try:
        if not args.skip_import:
            result["import"] = import_benchmark(args, tenants)
        if not args.skip_changelist:
            result["changelist"] = changelist_benchmark(args, tenants)
    finally:
        keep = {t.slug for t in tenants.made if args.keep and t.slug.endswith("-million")}
        tenants.drop_all(keep=keep)
        progress(f"{time.monotonic() - started:.0f}s in all")
    result.update(
        python=platform.python_version(),
        postgresql=POSTGRES_VERSION,
        django=metadata.version("django"),
        django_import_export=metadata.version("django-import-export"),
        openpyxl=metadata.version("openpyxl"),
        psycopg=metadata.version("psycopg"),
        cpus=os.cpu_count(),
    )
    print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
