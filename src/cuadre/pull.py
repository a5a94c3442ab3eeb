"""Pull open items straight from an ERP's database: one read-only query, typed and checked.

``cuadre pull --url URL --query NAME|FILE --out OPEN_ITEMS`` runs one SQL query and
turns its rows into the contract's ``open_items`` table. The query does the mapping:
its result columns carry the contract's names (``... AS customer_id``), and the rows
then go through the same typing and checks as a CSV file
(:func:`cuadre.model.validate.coerce_table`), so a bad cell is reported as
``query NAME:ROW:COLUMN`` (row N of the result, column by position) and never raised.

Queries are saved ``.sql`` files under ``cuadre/data/queries`` (``odoo_open_items``,
``microsip_open_items``, ``generic_open_items``; each says what it assumes) or the
path of the user's own ``.sql`` file.

Read-only, three times over (a read-only database user is still the real guard; see
docs/pull.md):

1. Before anything reaches the server, the text must be one ``SELECT`` or
   ``WITH ... SELECT`` statement: comments and quoted text are skipped, then a second
   statement, a data-changing word (``INSERT``, ``UPDATE``, ``DELETE``, ``MERGE``,
   ``INTO``, ``FOR UPDATE``...) or anything this check cannot read the same way on
   every database (nested comments, backslashes in quoted text, ``#``) is refused.
2. The session is read-only where the driver can say so: PostgreSQL runs the
   transaction ``READ ONLY`` (SQLAlchemy's ``postgresql_readonly``), SQLite files are
   opened with ``mode=ro``.
3. Every backend runs the query inside a transaction that is always rolled back.

Rows are streamed (``yield_per``; a server-side cursor where the driver has one), so a
large ledger is not held twice in memory.

Credentials: the URL's password, else ``CUADRE_DB_PASSWORD``, else the system keyring
(service ``cuadre``, the URL's user; only when the ``keyring`` package is installed, and
not for PostgreSQL when ``PGPASSWORD`` is set), else whatever the driver finds itself
(``PGPASSWORD``, ``~/.pgpass``, ...). A password is never written to a finding, a log
or the table: URLs are shown through SQLAlchemy's ``render_as_string(hide_password=True)``
and driver messages are scrubbed of it. A connection that fails is a finding with the
masked URL and a hint, never a traceback.

Reference: SQLAlchemy 2 Core (``create_engine``, ``text``, ``Connection.execution_options``
``stream_results``/``yield_per``, ``URL.render_as_string``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cuadre.findings import Finding, Location, error, info
from cuadre.io.tables import decode_text
from cuadre.model.tables import OPEN_ITEMS, TableSchema
from cuadre.model.validate import RawTable, coerce_table

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.engine import URL, Connection, Engine

# SQLAlchemy and the drivers are imported when a pull runs, not when Cuadre starts.

BATCH_ROWS = 5_000
PASSWORD_ENV = "CUADRE_DB_PASSWORD"
KEYRING_SERVICE = "cuadre"
CONNECT_TIMEOUT_S = 15

# pip packages that bring each SQLAlchemy dialect's driver (shown when it is missing)
DRIVER_PACKAGES = {
    "postgresql": "psycopg[binary]",
    "mssql": "pyodbc (and Microsoft's ODBC Driver 18 for SQL Server)",
    "oracle": "oracledb",
    "hana": "sqlalchemy-hana hdbcli",
    "firebird": "sqlalchemy-firebird firebird-driver",
    "mysql": "pymysql",
}

# words that change data or lock rows; none belongs in a reading query
_WRITE_WORDS = frozenset(
    {
        *("insert", "update", "delete", "merge", "upsert", "into", "truncate", "copy"),
        *("create", "alter", "drop", "grant", "revoke", "lock"),
        *("call", "exec", "execute", "commit", "rollback", "savepoint", "vacuum", "reindex"),
    }
)
_START_WORDS = ("select", "with")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


# --------------------------------------------------------------------------- queries


class QueryRefused(ValueError):
    """The SQL text is not one reading statement (raised by :func:`read_only_sql`)."""


@dataclass(frozen=True)
class Query:
    """A query ready to run: ``label`` names it in locations, ``sql`` is what runs."""

    label: str
    sql: str


def saved_queries() -> list[str]:
    """Names of the saved queries shipped with Cuadre (``odoo_open_items``, ...)."""
    folder = resources.files("cuadre.data") / "queries"
    return sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".sql"))


def load_query(query: str) -> tuple[Query | None, list[Finding]]:
    """A saved query name or the path of a ``.sql`` file -> its text, checked read-only."""
    label = query.strip()
    where = Location(f"query {label}")
    text: str | None = None
    notes: list[Finding] = []
    if re.fullmatch(r"[A-Za-z0-9_]+", label) and label in saved_queries():
        folder = resources.files("cuadre.data") / "queries"
        text = (folder / f"{label}.sql").read_text(encoding="utf-8")
    elif Path(label).is_file():
        try:
            data = Path(label).read_bytes()
        except OSError as exc:
            return None, [
                error(
                    where,
                    "QUERY_UNREADABLE",
                    f"cannot read {label}: {exc.strerror}",
                    "Check the file's permissions.",
                )
            ]
        text, notes = decode_text(data, f"query {label}")
    else:
        saved = ", ".join(saved_queries())
        return None, [
            error(
                where,
                "QUERY_NOT_FOUND",
                f'"{label}" is neither a saved query nor a .sql file that exists',
                f"Give one of the saved queries ({saved}) or the path of your own .sql file.",
            )
        ]
    try:
        sql = read_only_sql(text)
    except QueryRefused as exc:
        return None, [
            *notes,
            error(
                where,
                "QUERY_REFUSED",
                f"{exc}; Cuadre only runs one reading query (SELECT, or WITH ... SELECT)",
                "Remove everything but the SELECT; if a refused word is a column or table "
                'name, put it in double quotes ("update").',
            ),
        ]
    return Query(label, sql), notes


def read_only_sql(sql: str) -> str:
    """The statement to run if ``sql`` is one ``SELECT``/``WITH``; else :class:`QueryRefused`.

    Comments and quoted text are skipped; a single trailing ``;`` is dropped (Oracle
    refuses it). Fails closed: what cannot be read the same way on every database is
    refused rather than guessed.
    """
    words: list[tuple[str, int]] = []
    end: int | None = None  # position of the statement's closing ";"
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            if j < 0:
                raise QueryRefused(f"a comment opened on line {_line(sql, i)} is never closed")
            if "/*" in sql[i + 2 : j]:
                raise QueryRefused(f"nested comments (line {_line(sql, i)}) are not accepted")
            i = j + 2
            continue
        if end is not None and not ch.isspace():
            raise QueryRefused(
                f"more than one statement: text follows the ';' on line {_line(sql, end)}"
            )
        if ch in "'\"":
            i = _skip_quoted(sql, i)
            continue
        if ch == ";":
            end = i
            i += 1
            continue
        if ch == "#":
            raise QueryRefused(
                f"a # on line {_line(sql, i)}: some databases (MySQL) read it as a comment"
            )
        m = _WORD.match(sql, i)
        if m:
            words.append((m.group().lower(), i))
            i = m.end()
            continue
        i += 1
    if not words:
        raise QueryRefused("the query is empty")
    first = words[0][0]
    if first not in _START_WORDS:
        raise QueryRefused(f"the query starts with {first.upper()}, not SELECT or WITH")
    for k, (word, pos) in enumerate(words):
        locks = word == "share" and k > 0 and words[k - 1][0] in ("for", "key")
        if word in _WRITE_WORDS or locks:
            raise QueryRefused(f"the query contains {word.upper()} (line {_line(sql, pos)})")
    return (sql[:end] if end is not None else sql).strip()


def _skip_quoted(sql: str, start: int) -> int:
    """Index after the quoted text starting at ``start`` ('' or "" inside are escapes)."""
    quote = sql[start]
    i = start + 1
    while True:
        j = sql.find(quote, i)
        if j < 0:
            raise QueryRefused(f"quoted text opened on line {_line(sql, start)} is never closed")
        if "\\" in sql[i:j]:
            raise QueryRefused(
                f"a backslash in quoted text on line {_line(sql, start)}: databases read it "
                "differently"
            )
        if sql.startswith(quote * 2, j):
            i = j + 2
            continue
        return j + 1


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


# --------------------------------------------------------------------------- credentials


def mask_url(url: object) -> str:
    """The URL as text with its password replaced by ``***`` (also for malformed URLs)."""
    from sqlalchemy.engine import URL, make_url
    from sqlalchemy.exc import ArgumentError

    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    text = str(url)
    try:
        return make_url(text).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(://[^/:@]*):[^@]*@", r"\1:***@", text)


def _keyring_password(username: str) -> str | None:
    try:
        import keyring  # optional: only when the user installed it
    except ImportError:
        return None
    try:
        found = keyring.get_password(KEYRING_SERVICE, username)
    except Exception:  # any backend failure means "no password there"
        return None
    return str(found) if found else None


def resolve_password(url: URL) -> tuple[URL, str, str | None]:
    """(URL with the password to use, where it came from, the password) for ``url``."""
    if url.password:
        return url, "from the URL", str(url.password)
    env = os.environ.get(PASSWORD_ENV)
    if env:
        return url.set(password=env), f"from {PASSWORD_ENV}", env
    driver_env = url.get_backend_name() == "postgresql" and os.environ.get("PGPASSWORD")
    if url.username and not driver_env:
        found = _keyring_password(str(url.username))
        if found:
            return (
                url.set(password=found),
                f'from the keyring (service "{KEYRING_SERVICE}", user "{url.username}")',
                found,
            )
    return url, "none given (the driver may use PGPASSWORD or a password file)", None


# --------------------------------------------------------------------------- pulling


def pull_open_items(
    url: str, query: str, *, params: Mapping[str, object] | None = None
) -> tuple[pd.DataFrame, list[Finding]]:
    """Run ``query`` (saved name or .sql path) read-only on ``url`` -> open_items table."""
    return pull_table(url, query, OPEN_ITEMS, params=params)


def pull_table(
    url: str,
    query: str,
    schema: TableSchema,
    *,
    params: Mapping[str, object] | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """Run ``query`` read-only on ``url``; type and check the rows against ``schema``.

    Returns the engine's typed table (empty with findings when nothing could be read)
    and every finding, each located as ``query NAME:ROW:COLUMN``.
    """
    q, findings = load_query(query)
    if q is None:
        return _nothing(schema), findings
    fetched, problems = _fetch(url, q, params or {})
    findings += problems
    if fetched is None:
        return _nothing(schema), findings
    keys, columns, shown_url = fetched
    raw = _raw_table(q, keys, columns)
    df, checked = coerce_table(raw, schema)
    findings += [_for_query(f) for f in checked]
    findings.append(
        info(
            Location(raw.file),
            "PULLED",
            f"read {len(df):,} row{'' if len(df) == 1 else 's'} from {shown_url} "
            f"with query {q.label}",
        )
    )
    df.attrs["pull_url"] = shown_url
    df.attrs["pull_query"] = q.label
    return df, findings


def _nothing(schema: TableSchema) -> pd.DataFrame:
    raw = RawTable(pd.DataFrame(), np.arange(0), 0, [], "")
    return coerce_table(raw, schema)[0]


def _raw_table(q: Query, keys: list[str], columns: list[list[object]]) -> RawTable:
    n = len(columns[0]) if columns else 0
    cells = pd.DataFrame({i: pd.Series(col, dtype=object) for i, col in enumerate(columns)})
    cells.columns = pd.Index(keys, dtype=object)
    return RawTable(
        cells=cells,
        rows=np.arange(1, n + 1),
        header_row=0,
        column_numbers=list(range(1, len(keys) + 1)),
        file=f"query {q.label}",
    )


def _for_query(f: Finding) -> Finding:
    """Say "the query" where the CSV reader would say "the header row"."""
    named = re.search(r'column "([^"]+)"', f.message)
    if f.code == "MISSING_COLUMN" and named:
        name = named.group(1)
        message = f.message.replace("the header row has:", "the query returns:")
        hint = f"Add {name} to the query's SELECT list: ... AS {name}."
        f = replace(f, message=message, hint=hint)
    if f.location.row == 0:  # no header row: column-level findings point at the column
        f = replace(f, location=replace(f.location, row=None))
    return f


def _cell(v: object) -> object:
    # Decimal text without exponent ("1E+3" -> "1000"): the parser reads plain digits
    return format(v, "f") if isinstance(v, Decimal) else v


def _fetch(
    url_text: str, q: Query, params: Mapping[str, object]
) -> tuple[tuple[list[str], list[list[object]], str] | None, list[Finding]]:
    """Connect, run ``q`` in a rolled-back read-only transaction, stream the rows."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    where = Location(f"query {q.label}")
    try:
        url = make_url(url_text)
    except (ArgumentError, ValueError):
        return None, [
            error(
                where,
                "DB_URL_INVALID",
                f"{mask_url(url_text)} is not a database URL",
                "Write it as dialect+driver://user@host:port/database, e.g. "
                "postgresql+psycopg://reader@erp-db:5432/odoo (see docs/pull.md).",
            )
        ]
    shown = url.render_as_string(hide_password=True)
    url, source, secret = resolve_password(url)
    scrub = _scrubber(secret)
    engine, problem = _engine(url)
    if engine is None:
        package = DRIVER_PACKAGES.get(url.get_backend_name())
        hint = (
            f"Install the driver: pip install {package} (see docs/pull.md)."
            if package
            else "Check the URL's first part, the dialect: postgresql+psycopg, mssql+pyodbc, "
            "oracle+oracledb, hana+hdbcli, firebird+firebird, sqlite (see docs/pull.md)."
        )
        return None, [
            error(where, "DB_DRIVER_MISSING", f"cannot talk to {shown}: {scrub(problem)}", hint)
        ]
    try:
        conn = engine.connect()
    except (SQLAlchemyError, OSError) as exc:
        engine.dispose()
        return None, [
            error(
                where,
                "DB_CONNECTION_FAILED",
                f"could not connect to {shown}: {scrub(_reason(exc))}",
                "Check that the server is running and reachable from this computer (host, "
                "port, firewall, VPN), the database name and the user; password: "
                f"{source}.",
            )
        ]
    try:
        keys, columns = _run(conn, q, params)
    except (SQLAlchemyError, OSError) as exc:
        return None, [_query_failed(exc, where, shown, q, scrub)]
    finally:
        conn.close()
        engine.dispose()
    return (keys, columns, shown), []


def _engine(url: URL) -> tuple[Engine | None, str]:
    """An engine for ``url`` (read-only where the driver allows), or why there is none."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import NoSuchModuleError
    from sqlalchemy.pool import NullPool

    url = _read_only_url(url)
    try:
        engine = create_engine(
            url,
            poolclass=NullPool,  # one connection, closed at the end: nothing lingers
            hide_parameters=True,  # bound values never appear in error messages
            connect_args=_connect_args(url),
        )
    except (NoSuchModuleError, ImportError) as exc:
        return None, str(exc)
    if url.get_backend_name() == "postgresql":
        engine = engine.execution_options(postgresql_readonly=True)
    return engine, ""


def _run(
    conn: Connection, q: Query, params: Mapping[str, object]
) -> tuple[list[str], list[list[object]]]:
    """Column names and column values of ``q``'s result; the transaction is rolled back."""
    from sqlalchemy import text

    trans = conn.begin()
    try:
        streaming = conn.execution_options(stream_results=True, yield_per=BATCH_ROWS)
        result = streaming.execute(text(q.sql), dict(params))
        names = result.keys()
        keys = [str(k) for k in names]
        columns: list[list[object]] = [[] for _ in keys]
        for part in result.partitions():
            for i, values in enumerate(zip(*part, strict=True)):
                columns[i].extend(map(_cell, values))
    finally:
        trans.rollback()  # always: nothing the query did, if anything, is kept
    return keys, columns


def _query_failed(
    exc: BaseException, where: Location, shown: str, q: Query, scrub: Callable[[str], str]
) -> Finding:
    from sqlalchemy.exc import DBAPIError, StatementError

    reason = scrub(_reason(exc))
    if isinstance(exc, StatementError) and not isinstance(exc, DBAPIError):
        # refused by SQLAlchemy before anything was sent: a :name without a value
        return error(
            where,
            "QUERY_PARAMETERS",
            f"query {q.label} cannot be sent: {reason}",
            "Give every :name the query uses a value (params), or remove it.",
        )
    return error(
        where,
        "QUERY_FAILED",
        f"{shown} refused query {q.label}: {reason}",
        "Run the query in the database's own tool to see it work; check the table "
        "and column names for this ERP version and that the user may read them.",
    )


def _read_only_url(url: URL) -> URL:
    """SQLite files open read-only (``mode=ro``): no write, and no new empty file on a typo."""
    if url.get_backend_name() != "sqlite":
        return url
    db = url.database or ""
    if db in ("", ":memory:") or db.startswith("file:"):
        return url
    return url.set(
        database=Path(db).resolve().as_uri(), query={**url.query, "mode": "ro", "uri": "true"}
    )


def _connect_args(url: URL) -> dict[str, Any]:
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        return {"connect_timeout": CONNECT_TIMEOUT_S}
    return {}


def _reason(exc: BaseException) -> str:
    """The driver's own words, on one line, without SQLAlchemy's statement echo."""
    orig = getattr(exc, "orig", None)
    text = str(orig) if orig is not None else str(exc)
    text = text.split("\n(Background on this error")[0].split("\n[SQL:")[0]
    text = " ".join(text.split()).rstrip(" .")
    return text[:400] + ("..." if len(text) > 400 else "")


def _scrubber(secret: str | None) -> Callable[[str], str]:
    from urllib.parse import quote, quote_plus

    forms = {secret, quote(secret, safe=""), quote_plus(secret)} if secret else set()

    def scrub(text: str) -> str:
        for form in sorted(forms, key=len, reverse=True):
            text = text.replace(form, "***")
        return text

    return scrub
