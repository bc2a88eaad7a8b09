"""Writing one row per key with values of its own, many rows at once, without the ORM's cost.

`QuerySet.update` with a `Case(When(...))` per row builds and resolves an expression per row
and column: for a relay node writing its relays' stats every two seconds, that costs as much
CPU as one UPDATE per row. One prepared statement run for every row (`executemany`) costs a
fraction of either, on SQLite and PostgreSQL alike.
"""

from django.db import connection


def update_each(model, rows: dict, *, key: str = "pk", where: dict | None = None) -> None:
    """UPDATE `model` SET the fields of `rows[k]` WHERE `key` = k (AND each of `where`), for
    every k; every row names the same fields. Values pass through each field's own database
    preparation, as the ORM's would."""
    if not rows:
        return
    meta = model._meta
    names = list(next(iter(rows.values())))
    fields = [meta.get_field(name) for name in names]
    key_field = meta.pk if key == "pk" else meta.get_field(key)
    conditions = [
        (key_field, None),
        *((meta.get_field(name), value) for name, value in (where or {}).items()),
    ]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {}".format(  # noqa: S608 -- names from the model, values as parameters
        quote(meta.db_table),
        ", ".join(f"{quote(field.column)} = %s" for field in fields),
        " AND ".join(f"{quote(field.column)} = %s" for field, _ in conditions),
    )
    params = [
        [
            *(
                field.get_db_prep_value(values[name], connection)
                for name, field in zip(names, fields, strict=True)
            ),
            key_field.get_db_prep_value(row_key, connection),
            *(field.get_db_prep_value(value, connection) for field, value in conditions[1:]),
        ]
        for row_key, values in rows.items()
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
