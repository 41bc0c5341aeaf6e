"""The tracking page's two hot statements run straight on the driver's cursor (PostgreSQL).

A first view of the tracking page runs two fixed ``SELECT`` statements (the page version,
then the order with its lines, shipments and scans). Through SQLAlchemy's ``execute`` each
one costs about twice the CPU of the driver doing the same work: building the execution
context, reading ``cursor.description`` (psycopg builds a ``Column`` object for each of the
order statement's ~50 columns on every run) and wrapping rows. On a saturated page process
that CPU is the throughput (issue 17).

:func:`rows` keeps SQLAlchemy's meaning and drops its per-run bookkeeping: the statement is
compiled once per dialect (the same SQL text SQLAlchemy sends) and prepared on its first run
(``prepare=True``; on the page's engine these are the only statements prepared, and
PostgreSQL keeps a generic plan for them: ``engine.pg_connect_args``, ADR 0043). Each
column's result processor (``UTCDateTime``, ``ExactDecimal``, ...) is resolved once from
the first run's description and applied to every row, exactly as SQLAlchemy applies it.
The rows are plain tuples, indexed like SQLAlchemy's.

On any other dialect (SQLite) it is plain ``conn.execute(...).all()``: there the statements
are cheap and the driver differs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql import Select

Processor = Callable[[Any], Any] | None


class _Compiled:
    """One statement for one dialect: SQL text, default parameters, row processors."""

    __slots__ = ("defaults", "processors", "sql", "types")

    def __init__(self, stmt: Select[Any], conn: Connection, params: Mapping[str, Any]) -> None:
        compiled = stmt.compile(dialect=conn.dialect)
        self.sql = str(compiled)
        binders: dict[str, Any] = dict(compiled._bind_processors)
        if any(name in binders for name in params):
            raise ValueError("hot_reads takes only parameters that need no bind processing")
        # Constants the statement binds itself (literals in the UNION's branches), as
        # SQLAlchemy would send them; the caller's parameters are laid over them.
        values = compiled.construct_params(params) or {}
        self.defaults = {
            name: binders[name](v) if name in binders else v
            for name, v in values.items()
            if name not in params
        }
        self.types = [col.type for col in stmt.selected_columns]
        self.processors: Sequence[tuple[int, Callable[[Any], Any], bool]] | None = None

    def resolve(self, conn: Connection, description: Sequence[Any]) -> None:
        """The result processors, from the first run's column type codes (as SQLAlchemy
        resolves them for each result); only the columns that have one are kept, each with
        whether it maps NULL to None (then a NULL is left as it is: most of the order
        statement's values are the NULLs padding the other branch of its UNION)."""
        out = []
        for i, (type_, col) in enumerate(zip(self.types, description, strict=True)):
            proc = type_._cached_result_processor(conn.dialect, col[1])
            if proc is not None:
                out.append((i, proc, proc(None) is None))
        self.processors = tuple(out)


_COMPILED: dict[tuple[int, str], _Compiled] = {}


def rows(conn: Connection, stmt: Select[Any], params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """``conn.execute(stmt, params).all()`` as tuples, on PostgreSQL without SQLAlchemy's
    per-execution overhead (see the module docstring). ``stmt`` must be a module-level
    constant: its compiled form is kept for the life of the process."""
    return in_one_round_trip(conn, [(stmt, params)])[0]


def in_one_round_trip(
    conn: Connection, statements: Sequence[tuple[Select[Any], Mapping[str, Any]]]
) -> list[list[tuple[Any, ...]]]:
    """:func:`rows` of several statements, run one after the other; on PostgreSQL sent
    together in psycopg's pipeline mode, so the caller waits for one round trip instead of
    one per statement (each round trip of a page read holds the event loop)."""
    dialect = conn.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
        return [[tuple(row) for row in conn.execute(s, p).all()] for s, p in statements]
    compiled = []
    for stmt, params in statements:
        key = (id(stmt), dialect.name)
        found = _COMPILED.get(key)
        if found is None:
            found = _COMPILED[key] = _Compiled(stmt, conn, params)
        compiled.append(found)
    driver = conn.connection.driver_connection
    assert driver is not None
    if len(statements) == 1:
        with driver.cursor() as cur:
            cur.execute(compiled[0].sql, {**compiled[0].defaults, **statements[0][1]}, prepare=True)
            return [_processed(conn, compiled[0], cur)]
    with driver.pipeline():
        cursors = [
            driver.execute(c.sql, {**c.defaults, **params}, prepare=True)
            for c, (_, params) in zip(compiled, statements, strict=True)
        ]
        out = [_processed(conn, c, cur) for c, cur in zip(compiled, cursors, strict=True)]
    for cur in cursors:
        cur.close()
    return out


def _processed(conn: Connection, compiled: _Compiled, cur: Any) -> list[tuple[Any, ...]]:
    got: list[tuple[Any, ...]] = cur.fetchall()
    if compiled.processors is None:
        compiled.resolve(conn, cur.description or ())
    procs = compiled.processors
    if not procs:
        return got
    out = []
    for row in got:
        values = list(row)
        for i, proc, keeps_null in procs:
            value = values[i]
            if value is not None or not keeps_null:
                values[i] = proc(value)
        out.append(tuple(values))
    return out
