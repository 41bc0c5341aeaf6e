"""The tracking page's two hot statements run straight on the driver's cursor (PostgreSQL).

A first view of the tracking page runs two fixed ``SELECT`` statements (the page version,
then the order with its lines, shipments and scans). Through SQLAlchemy's ``execute`` each
one costs about twice the CPU of the driver doing the same work: building the execution
context, reading ``cursor.description`` (psycopg builds a ``Column`` object for each of the
order statement's ~50 columns on every run) and wrapping rows. On a saturated page process
that CPU is the throughput (issue 17).

:func:`rows` keeps SQLAlchemy's meaning and drops its per-run bookkeeping: the statement is
compiled once per dialect (the same SQL text SQLAlchemy sends, so psycopg still prepares it
on its fifth run), and each column's result processor (``UTCDateTime``, ``ExactDecimal``,
...) is resolved once from the first run's description and applied to every row, exactly
as SQLAlchemy applies it. The rows are plain tuples, indexed like SQLAlchemy's.

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
        self.processors: Sequence[tuple[int, Callable[[Any], Any]]] | None = None

    def resolve(self, conn: Connection, description: Sequence[Any]) -> None:
        """The result processors, from the first run's column type codes (as SQLAlchemy
        resolves them for each result); only the columns that have one are kept."""
        out = []
        for i, (type_, col) in enumerate(zip(self.types, description, strict=True)):
            proc = type_._cached_result_processor(conn.dialect, col[1])
            if proc is not None:
                out.append((i, proc))
        self.processors = tuple(out)


_COMPILED: dict[tuple[int, str], _Compiled] = {}


def rows(conn: Connection, stmt: Select[Any], params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """``conn.execute(stmt, params).all()`` as tuples, on PostgreSQL without SQLAlchemy's
    per-execution overhead (see the module docstring). ``stmt`` must be a module-level
    constant: its compiled form is kept for the life of the process."""
    dialect = conn.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
        return [tuple(row) for row in conn.execute(stmt, params).all()]
    key = (id(stmt), dialect.name)
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _COMPILED[key] = _Compiled(stmt, conn, params)
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cur:
        cur.execute(compiled.sql, {**compiled.defaults, **params})
        got: list[tuple[Any, ...]] = cur.fetchall()
        if compiled.processors is None:
            compiled.resolve(conn, cur.description or ())
    procs = compiled.processors
    if not procs:
        return got
    out = []
    for row in got:
        values = list(row)
        for i, proc in procs:
            values[i] = proc(values[i])
        out.append(tuple(values))
    return out
