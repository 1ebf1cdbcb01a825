"""Demo contacts: a few thousand realistic Brazilian people for Acme and some for Globex.

Generated from a fixed seed, so every run makes the same people; running it again adds nothing.
"""

import random
import unicodedata
from datetime import date, timedelta

from contacts import services
from contacts.models import Contact, ContactList, Tag

FIRST_NAMES = (
    "Ana",
    "Maria",
    "Juliana",
    "Fernanda",
    "Camila",
    "Beatriz",
    "Larissa",
    "Patrícia",
    "Aline",
    "Gabriela",
    "João",
    "José",
    "Carlos",
    "Lucas",
    "Pedro",
    "Rafael",
    "Bruno",
    "Felipe",
    "Gustavo",
    "Thiago",
    "Luiz",
    "Marcelo",
    "Rodrigo",
    "Vinícius",
    "Letícia",
)
LAST_NAMES = (
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
    "Moreira",
)
CITIES = (
    ("São Paulo", "SP", "11"),
    ("Campinas", "SP", "19"),
    ("Rio de Janeiro", "RJ", "21"),
    ("Belo Horizonte", "MG", "31"),
    ("Curitiba", "PR", "41"),
    ("Porto Alegre", "RS", "51"),
    ("Salvador", "BA", "71"),
    ("Recife", "PE", "81"),
    ("Fortaleza", "CE", "85"),
    ("Brasília", "DF", "61"),
    ("Manaus", "AM", "92"),
    ("Florianópolis", "SC", "48"),
)
TAGS = (
    ("Cliente", "#10b981"),
    ("Lead", "#6366f1"),
    ("VIP", "#f59e0b"),
    ("Black Friday", "#111827"),
)
PLANS = ("bronze", "prata", "ouro")
HOW_MANY = {"acme": 3000, "globex": 400}


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _people(rng: random.Random, count: int):
    for n in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        city, uf, ddd = rng.choice(CITIES)
        yield {
            "name": f"{first} {last}",
            "phone": f"+55{ddd}9{rng.randint(6000, 9999)}{n % 10000:04d}",
            "email": _ascii(f"{first}.{last}{n}@exemplo.com.br".lower()),
            "city": city,
            "state": uf,
            "birth_date": date(1960, 1, 1) + timedelta(days=rng.randint(0, 16000)),
            "gender": rng.choice("FM"),
            "custom_fields": {"plano": rng.choice(PLANS)},
            "opted_out": rng.random() < 0.03,
        }


def seed_contacts(tenant) -> int:
    """Create the tenant's demo contacts, tags and a list; return how many were added."""
    wanted = HOW_MANY.get(tenant.slug, 0)
    existing = Contact.objects.for_tenant(tenant).count()
    if not wanted or existing >= wanted:
        return 0
    rng = random.Random(tenant.slug)
    Contact.objects.bulk_create(
        [
            Contact(tenant=tenant, source=Contact.Source.IMPORT, **person)
            for person in _people(rng, wanted)
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    contacts = Contact.objects.for_tenant(tenant)
    ids = list(contacts.values_list("pk", flat=True))
    for name, colour in TAGS:
        tag, _created = Tag.objects.get_or_create(
            tenant=tenant, name=name, defaults={"colour": colour}
        )
        services.add_tag(tenant, contacts.filter(pk__in=rng.sample(ids, len(ids) // 3)), tag)
    newsletter, _created = ContactList.objects.get_or_create(tenant=tenant, name="Newsletter")
    services.add_to_list(tenant, contacts.filter(opted_out=False), newsletter)
    return Contact.objects.for_tenant(tenant).count() - existing
