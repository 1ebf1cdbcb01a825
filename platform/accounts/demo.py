"""The demo cast (fixtures/demo.json): plans, the tenants Acme and Globex, their departments and
users. ``seed_demo`` loads it for people; the test suite loads the same cast."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from accounts.models import Department, User
from tenancy.models import Plan, Product, Tenant

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"


@dataclass
class Cast:
    plans: dict[str, Plan] = field(default_factory=dict)
    tenants: dict[str, Tenant] = field(default_factory=dict)
    departments: dict[tuple[str, str], Department] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def __getattr__(self, key):
        # cast.ana, cast.acme, ... read naturally in tests.
        for table in ("users", "tenants"):
            rows = self.__dict__.get(table, {})
            if key in rows:
                return rows[key]
        raise AttributeError(key)


@transaction.atomic
def seed_cast(password: str) -> Cast:
    """Create or refresh the cast; running it twice changes nothing."""
    data = json.loads(DEMO_FILE.read_text())
    cast = Cast()
    for spec in data["plans"]:
        plan, _created = Plan.objects.update_or_create(
            slug=spec["slug"],
            defaults={k: v for k, v in spec.items() if k not in ("slug", "products")},
        )
        plan.products.set(Product.objects.filter(code__in=spec["products"]))
        cast.plans[plan.slug] = plan
    for spec in data["tenants"]:
        tenant, _created = Tenant.objects.update_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "plan": cast.plans[spec["plan"]],
                "status": spec["status"],
            },
        )
        cast.tenants[tenant.slug] = tenant
        for dept in spec["departments"]:
            department, _created = Department.objects.update_or_create(
                tenant=tenant,
                name=dept["name"],
                defaults={"colour": dept["colour"], "transfer_message": dept["transfer_message"]},
            )
            cast.departments[(tenant.slug, department.name)] = department
    for spec in data["users"]:
        cast.users[spec["key"]] = _seed_user(spec, cast, password)
    return cast


def _seed_user(spec, cast, password):
    user = User.objects.filter(email=spec["email"]).first() or User(email=spec["email"])
    user.display_name = spec["display_name"]
    user.phone = spec.get("phone", "")
    user.is_superuser = spec.get("superuser", False)
    user.tenant = cast.tenants.get(spec.get("tenant"))
    user.role = spec.get("role", "")
    user.is_active = True
    user.set_password(password)
    user.full_clean()
    user.save()
    user.departments.set(
        [cast.departments[(spec["tenant"], name)] for name in spec.get("departments", [])]
    )
    return user
