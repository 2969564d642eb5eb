"""A client's schema, created by replaying the template schema's DDL, generated once per migration state.

django-tenants clones ``TENANT_BASE_SCHEMA`` with a PL/pgSQL function that reads ``information_schema``
table by table and column by column. Those views scan the whole catalog, which grows by a few hundred
relations with every client: creating one took 0.65 s at 10 clients and over 3 s at 300. Here the
template is described once, from ``pg_catalog``, whenever its applied migrations change, and the
statements are kept in the public schema (``SchemaTemplate``). Creating a client replays them in one
round trip: its cost is that of the DDL itself, whatever the number of clients (docs/architecture.md,
"Creating a client").

Described: the schema's functions; its tables (columns with their types, collations, defaults,
identity and generated columns); their rows (the template's migration records and reference rows,
copied as the clone copied them, before any trigger exists, with the identity sequences where the
template's stand); their constraints, indexes, triggers and comments. Anything else in the template (a
view, a sequence of its own, a type, a policy, a partitioned table...) stops the generation with
``TemplateUnsupported`` naming it, rather than creating clients silently missing it.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import connection, transaction
from psycopg import sql

from tenants.models import SchemaTemplate

# Part of the state: a change of what is generated must not reuse statements generated before it.
GENERATOR_VERSION = 1


class TemplateUnsupported(RuntimeError):
    """The template schema holds an object the generator does not describe."""


def client_schema_create(schema_name: str) -> bool:
    """Create ``schema_name`` as a copy of the template schema, inside the current transaction (or one
    of its own). False, and nothing done, when there is no migrated template to copy."""
    template = settings.TENANT_BASE_SCHEMA
    with transaction.atomic(), connection.cursor() as cursor:
        state = _template_state(cursor, template)
        if state is None:
            return False
        statements = _statements_for(cursor, template, state)
        cursor.execute("SELECT current_setting('search_path')")
        (search_path,) = cursor.fetchone()
        cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema_name)).as_string(cursor.connection))
        # Names in the statements are unqualified where they are the template's own (described with
        # the template alone on the search path), so they resolve to the new schema here. Bodies of
        # SQL functions may name tables created after them, as in pg_dump's output.
        cursor.execute(
            "SELECT set_config('search_path', %s, true), set_config('check_function_bodies', 'off', true)",
            [sql.Identifier(schema_name).as_string(cursor.connection)],
        )
        cursor.execute(";\n".join(statements))
        cursor.execute(
            "SELECT set_config('search_path', %s, true), set_config('check_function_bodies', 'on', true)",
            [search_path],
        )
    return True


def template_statements_refresh() -> None:
    """Generate the template's statements now if its migration state has none yet (after `migrate`),
    so the first client created afterwards does not pay for it."""
    with transaction.atomic(), connection.cursor() as cursor:
        state = _template_state(cursor, settings.TENANT_BASE_SCHEMA)
        if state is not None:
            _statements_for(cursor, settings.TENANT_BASE_SCHEMA, state)


def template_statements(template: str) -> list[str]:
    """The statements that rebuild ``template``'s content in the schema first on the search path."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('search_path')")
        (search_path,) = cursor.fetchone()
        cursor.execute(
            "SELECT set_config('search_path', %s, true)", [sql.Identifier(template).as_string(cursor.connection)]
        )
        try:
            return _generated(cursor, template)
        finally:
            cursor.execute("SELECT set_config('search_path', %s, true)", [search_path])


def _template_state(cursor, template: str) -> str | None:
    """A digest of the template's applied migrations (one read of its small ``django_migrations``,
    never of the catalog), or None when the template has none."""
    migrations_table = sql.Identifier(template, "django_migrations").as_string(cursor.connection)
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [migrations_table])
    if not cursor.fetchone()[0]:
        return None
    cursor.execute(f"SELECT app, name FROM {migrations_table} ORDER BY app, name")  # noqa: S608 (quoted identifier)
    applied = cursor.fetchall()
    if not applied:
        return None
    digest = hashlib.sha256(f"{GENERATOR_VERSION}|{cursor.connection.info.server_version}|".encode())
    for app, name in applied:
        digest.update(f"{app}.{name};".encode())
    return digest.hexdigest()


def _statements_for(cursor, template: str, state: str) -> list[str]:
    stored = SchemaTemplate.objects.filter(state=state).values_list("statements", flat=True).first()
    if stored is not None:
        return stored
    statements = template_statements(template)
    # Two creations generating at once store one row; older states are of no further use.
    SchemaTemplate.objects.bulk_create([SchemaTemplate(state=state, statements=statements)], ignore_conflicts=True)
    SchemaTemplate.objects.exclude(state=state).delete()
    return statements


def _generated(cursor, template: str) -> list[str]:
    _refuse_unsupported(cursor, template)
    return [
        *_functions(cursor, template),
        *_tables(cursor, template),
        *_rows(cursor, template),
        *_sequence_positions(cursor, template),
        *_constraints(cursor, template, kinds=("p", "u", "x", "c")),
        *_indexes(cursor, template),
        *_constraints(cursor, template, kinds=("f",)),
        *_triggers(cursor, template),
        *_comments(cursor, template),
    ]


# Each finds, in the template, objects of a kind the generator does not describe (one label each).
UNSUPPORTED_QUERIES = [
    # views, materialized views, composite types, foreign and partitioned tables
    """SELECT format('%%s %%I (relkind %%s)', 'relation', c.relname, c.relkind) FROM pg_class c
       WHERE c.relnamespace = %(ns)s::regnamespace AND c.relkind NOT IN ('r', 'i', 'S')""",
    # sequences not created by an identity column
    """SELECT format('sequence %%I', c.relname) FROM pg_class c
       WHERE c.relnamespace = %(ns)s::regnamespace AND c.relkind = 'S' AND NOT EXISTS (
           SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i')""",
    # tables with row security, inheritance, storage options, or not logged
    """SELECT format('table %%I (row security, inheritance, options or persistence)', c.relname) FROM pg_class c
       WHERE c.relnamespace = %(ns)s::regnamespace AND c.relkind = 'r'
         AND (c.relrowsecurity OR c.relispartition OR c.reloptions IS NOT NULL OR c.relpersistence <> 'p'
              OR EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid OR i.inhparent = c.oid))""",
    """SELECT format('policy %%I on %%I', p.polname, c.relname) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
       WHERE c.relnamespace = %(ns)s::regnamespace""",
    """SELECT format('rule %%I on %%I', r.rulename, c.relname) FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
       WHERE c.relnamespace = %(ns)s::regnamespace""",
    # types of its own (enums, domains, ranges...), besides the row types of its tables (and arrays of either)
    """SELECT format('type %%I', t.typname) FROM pg_type t
       WHERE t.typnamespace = %(ns)s::regnamespace AND t.typrelid = 0 AND t.typcategory <> 'A'""",
    """SELECT format('%%s %%I', 'function (not a plain function or procedure)', p.proname) FROM pg_proc p
       WHERE p.pronamespace = %(ns)s::regnamespace AND p.prokind NOT IN ('f', 'p')""",
    """SELECT format('trigger %%I on %%I (disabled, or a constraint trigger)', t.tgname, c.relname)
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
       WHERE c.relnamespace = %(ns)s::regnamespace AND NOT t.tgisinternal
         AND (t.tgenabled <> 'O' OR t.tgconstraint <> 0)""",
    """SELECT format('extension %%I', x.extname) FROM pg_extension x WHERE x.extnamespace = %(ns)s::regnamespace""",
    """SELECT format('collation %%I', c.collname) FROM pg_collation c WHERE c.collnamespace = %(ns)s::regnamespace""",
]


def _refuse_unsupported(cursor, template: str) -> None:
    cursor.execute(" UNION ALL ".join(f"({query})" for query in UNSUPPORTED_QUERIES), {"ns": template})
    found = [label for (label,) in cursor.fetchall()]
    if found:
        raise TemplateUnsupported(
            f"The template schema {template} holds what new client schemas could not be created with: "
            f"{', '.join(sorted(found))}. Describe it in tenants/schema_template.py."
        )


def _functions(cursor, template: str) -> list[str]:
    cursor.execute("SELECT quote_ident(%s) || '.'", [template])
    (qualified,) = cursor.fetchone()
    cursor.execute(
        "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p WHERE p.pronamespace = %s::regnamespace"
        " ORDER BY p.proname, p.oid",
        [template],
    )
    statements = []
    for name, definition in cursor.fetchall():
        # pg_get_functiondef always names the function with its schema; the rest must not name it.
        head, _, rest = definition.partition(qualified)
        if not head.startswith("CREATE OR REPLACE ") or template in rest:
            raise TemplateUnsupported(f"Function {name} names the template schema {template} in its definition.")
        statements.append(head + rest)
    return statements


def _tables(cursor, template: str) -> list[str]:
    cursor.execute(
        """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
               a.attgenerated, pg_get_expr(d.adbin, d.adrelid, true),
               CASE WHEN a.attcollation <> ty.typcollation
                    THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END,
               seq.relname, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle
        FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        JOIN pg_type ty ON ty.oid = a.atttypid
        LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
        LEFT JOIN pg_collation co ON co.oid = a.attcollation
        LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
        LEFT JOIN pg_depend dep ON a.attidentity <> '' AND dep.classid = 'pg_class'::regclass
             AND dep.refobjid = c.oid AND dep.refobjsubid = a.attnum AND dep.deptype = 'i'
        LEFT JOIN pg_class seq ON seq.oid = dep.objid
        LEFT JOIN pg_sequence s ON s.seqrelid = dep.objid
        WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r'
        ORDER BY c.relname, a.attnum
        """,
        [template],
    )
    columns: dict[str, list[str]] = {}
    for table, column, type_, not_null, identity, generated, default, collation, *sequence in cursor.fetchall():
        parts = [_ident(cursor, column), type_]
        if collation:
            parts.append(f"COLLATE {collation}")
        if generated == "s":
            parts.append(f"GENERATED ALWAYS AS ({default}) STORED")
        elif default is not None:
            parts.append(f"DEFAULT {default}")
        if identity:
            parts.append(_identity(cursor, identity, *sequence))
        if not_null:
            parts.append("NOT NULL")
        columns.setdefault(table, []).append(" ".join(parts))
    return [f"CREATE TABLE {_ident(cursor, table)} ({', '.join(defs)})" for table, defs in columns.items()]


def _identity(cursor, identity: str, name, start, increment, minimum, maximum, cache, cycle) -> str:
    kind = "ALWAYS" if identity == "a" else "BY DEFAULT"
    options = (
        f"SEQUENCE NAME {_ident(cursor, name)} START WITH {start} INCREMENT BY {increment}"
        f" MINVALUE {minimum} MAXVALUE {maximum} CACHE {cache}{' CYCLE' if cycle else ''}"
    )
    return f"GENERATED {kind} AS IDENTITY ({options})"


def _rows(cursor, template: str) -> list[str]:
    """Copies of the template's rows, for its tables that have some (found in one statement)."""
    cursor.execute(
        "SELECT c.relname FROM pg_class c WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r' ORDER BY 1",
        [template],
    )
    tables = [table for (table,) in cursor.fetchall()]
    if not tables:
        return []
    cursor.execute(
        sql.SQL(" UNION ALL ")
        .join(
            sql.SQL("SELECT {} WHERE EXISTS (SELECT 1 FROM {})").format(
                sql.Literal(table), sql.Identifier(template, table)
            )
            for table in tables
        )
        .as_string(cursor.connection)
    )
    having_rows = [table for (table,) in cursor.fetchall()]
    cursor.execute(
        """
        SELECT c.relname, array_agg(quote_ident(a.attname) ORDER BY a.attnum)
        FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
        WHERE c.relnamespace = %s::regnamespace AND c.relname = ANY(%s)
          AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
        GROUP BY c.relname ORDER BY c.relname
        """,
        [template, having_rows],
    )
    statements = []
    for table, columns in cursor.fetchall():
        listed = ", ".join(columns)
        source = sql.Identifier(template, table).as_string(cursor.connection)
        statements.append(
            f"INSERT INTO {_ident(cursor, table)} ({listed}) OVERRIDING SYSTEM VALUE SELECT {listed} FROM {source}"  # noqa: S608 (quoted identifiers)
        )
    return statements


def _sequence_positions(cursor, template: str) -> list[str]:
    cursor.execute(
        "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = %s AND last_value IS NOT NULL"
        " ORDER BY sequencename",
        [template],
    )
    return [
        f"SELECT setval({sql.Literal(_ident(cursor, name)).as_string(cursor.connection)}::regclass, {value})"
        for name, value in cursor.fetchall()
    ]


def _constraints(cursor, template: str, *, kinds: tuple[str, ...]) -> list[str]:
    cursor.execute(
        """
        SELECT c.relname, con.conname, pg_get_constraintdef(con.oid, true)
        FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
        WHERE c.relnamespace = %s::regnamespace AND con.contype = ANY(%s)
        ORDER BY array_position(%s, con.contype::text), c.relname, con.conname
        """,
        [template, list(kinds), list(kinds)],
    )
    return [
        f"ALTER TABLE {_ident(cursor, table)} ADD CONSTRAINT {_ident(cursor, name)} {definition}"
        for table, name, definition in cursor.fetchall()
    ]


def _indexes(cursor, template: str) -> list[str]:
    """The indexes not made by a constraint (a primary key, a unique or exclusion constraint)."""
    cursor.execute(
        """
        SELECT pg_get_indexdef(i.indexrelid, 0, true)
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class ix ON ix.oid = i.indexrelid
        WHERE t.relnamespace = %s::regnamespace AND NOT EXISTS (
            SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid
              AND con.contype IN ('p', 'u', 'x'))
        ORDER BY t.relname, ix.relname
        """,
        [template],
    )
    return [definition for (definition,) in cursor.fetchall()]


def _triggers(cursor, template: str) -> list[str]:
    cursor.execute(
        """
        SELECT pg_get_triggerdef(t.oid, true) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = %s::regnamespace AND NOT t.tgisinternal ORDER BY c.relname, t.tgname
        """,
        [template],
    )
    return [definition for (definition,) in cursor.fetchall()]


def _comments(cursor, template: str) -> list[str]:
    cursor.execute(
        """
        SELECT c.relname, a.attname, d.description
        FROM pg_description d JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND c.oid = d.objoid
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
        WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r'
        ORDER BY c.relname, d.objsubid
        """,
        [template],
    )
    statements = []
    for table, column, description in cursor.fetchall():
        target = f"TABLE {_ident(cursor, table)}"
        if column:
            target = f"COLUMN {_ident(cursor, table)}.{_ident(cursor, column)}"
        statements.append(f"COMMENT ON {target} IS {sql.Literal(description).as_string(cursor.connection)}")
    return statements


def _ident(cursor, name: str) -> str:
    return sql.Identifier(name).as_string(cursor.connection)
