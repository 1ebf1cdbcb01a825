"""Parameters for hand-written SQL, bound the way the ORM binds them for a model's field.

The hot paths that need one statement the ORM cannot write (an upsert that adds, an UPDATE with
SKIP LOCKED) still run on both databases: SQLite (the embedded default) stores UUIDs as 32 hex
digits and datetimes as naive UTC text, which a raw parameter would not match.
"""

from django.db import connection


def value(model, field: str, value):
    """``value`` of ``model.field``, ready for ``cursor.execute``."""
    return model._meta.get_field(field).get_db_prep_value(value, connection, prepared=False)
