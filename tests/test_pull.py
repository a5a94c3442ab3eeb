"""cuadre.pull: read-only queries into open_items, against SQLite files and a real PostgreSQL.

The PostgreSQL tests need a server: ``eval "$(bash .ci/postgres.sh)"`` starts one and sets
CUADRE_TEST_PG_URL. Without it they skip locally, and fail under CI=true.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import sqlite3
import sys
import types
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cuadre import pull
from cuadre.findings import Severity, findings_frame
from cuadre.model.tables import PROVENANCE
from cuadre.pull import QueryRefused, mask_url, pull_open_items, read_only_sql, saved_queries

SOURCE = PROVENANCE[0]  # the column naming where each row was read


def codes(findings) -> list[str]:
    return [f.code for f in findings]


def where(findings, code: str) -> list[str]:
    return [str(f.location) for f in findings if f.code == code]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sqlite_db(path: Path, script: str) -> str:
    con = sqlite3.connect(path)
    con.executescript(script)
    con.commit()
    con.close()
    return f"sqlite:///{path}"


# --------------------------------------------------------------------------- the guard

REFUSED = {
    "delete": "DELETE FROM account_move_line",
    "insert": "INSERT INTO t VALUES (1)",
    "update": "UPDATE t SET a = 1",
    "two statements": "SELECT 1 AS a; DELETE FROM t",
    "two selects": "SELECT 1; SELECT 2",
    "double semicolon": "SELECT 1;;",
    "writing cte": "WITH gone AS (DELETE FROM t RETURNING *) SELECT * FROM gone",
    "select into": "SELECT * INTO backup FROM t",
    "row locks": "SELECT * FROM t FOR UPDATE",
    "share locks": "SELECT * FROM t FOR SHARE",
    "firebird lock": "SELECT * FROM t WITH LOCK",
    "pragma": "PRAGMA writable_schema = 1",
    "call": "CALL refresh_everything()",
    "empty": "  -- nothing but a comment\n",
    "unterminated string": "SELECT 'abc FROM t",
    "unterminated comment": "SELECT 1 /* never closed",
    "nested comment": "SELECT 1 /* a /* b */ ; DELETE FROM t /* c */",
    # PostgreSQL nests comments: it would end this one inside the quote and run the DELETE
    "nested comment hides a quote": "SELECT 1 /* /* */ 'x */ ; DELETE FROM t; --' AS a",
    # MySQL reads \' as an escaped quote: the string would run on into the DELETE
    "backslash": "SELECT 'a\\' AS x, ' ; DELETE FROM t; -- ' AS y",
    "hidden after comment": "SELECT 1 -- harmless\n; DROP TABLE t",
    "quoted text after the end": "SELECT 1; 'x'",
    "backslash in double quotes": 'SELECT "a\\" AS x, " ; DELETE FROM t; -- " AS y',
    # MySQL reads # as a comment: the quote would open on the next line
    "hash comment": "SELECT 1 AS a # '\n; DELETE FROM t; -- '",
    "hash after a name": "SELECT a#'\n; DELETE FROM t; --'\nFROM t",
}


@pytest.mark.parametrize("sql", REFUSED.values(), ids=REFUSED.keys())
def test_refuses_anything_but_one_select(sql):
    with pytest.raises(QueryRefused):
        read_only_sql(sql)


ACCEPTED = {
    "trailing semicolon": ("SELECT 1 AS a;\n-- done\n", "SELECT 1 AS a"),
    "words in comments and text": (
        "-- DELETE; DROP\nSELECT 'DELETE; DROP' AS \"update\" /* INSERT */ FROM t",
        "-- DELETE; DROP\nSELECT 'DELETE; DROP' AS \"update\" /* INSERT */ FROM t",
    ),
    "casts and doubled quotes": (
        "with x as (select 'O''Brien'::text as n) select n from x",
        "with x as (select 'O''Brien'::text as n) select n from x",
    ),
    "words inside names": ("SELECT update_date, created_by FROM t", None),
}


@pytest.mark.parametrize("sql,expected", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_accepts_reading_queries(sql, expected):
    assert read_only_sql(sql) == (expected or sql)


def test_saved_queries_are_reading_queries():
    assert {"generic_open_items", "microsip_open_items", "odoo_open_items"} <= set(saved_queries())
    for name in saved_queries():
        q, findings = pull.load_query(name)
        assert q is not None and not findings, name


_TOKENS = st.sampled_from(
    ["select", "with", "delete", "insert", "t", "a", ",", "(", ")", ";", "'", '"', "--",
     "/*", "*/", "\n", " ", "1", "from", "as", "\\", "values", "into", "x", "#", "$$"]
)  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_TOKENS, max_size=25).map("".join))
def test_whatever_the_guard_lets_through_cannot_write_in_sqlite(sql):
    """SQLite as the oracle: an accepted text is one statement that only reads."""
    try:
        accepted = read_only_sql(sql)
    except QueryRefused:
        return
    assert read_only_sql(accepted) == accepted
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (a, x)")
    con.execute("CREATE TABLE backup (a)")
    writes: list[int] = []
    reads = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
             sqlite3.SQLITE_RECURSIVE}  # fmt: skip

    def authorizer(action, *_args):
        if action not in reads:
            writes.append(action)
        return sqlite3.SQLITE_OK

    con.set_authorizer(authorizer)
    try:
        con.execute(accepted).fetchall()
    except sqlite3.ProgrammingError as exc:  # "You can only execute one statement at a time"
        pytest.fail(f"{sql!r} passed the guard but is several statements: {exc}")
    except sqlite3.Error:
        pass  # not valid SQL: the server refuses it, nothing is written
    assert not writes, f"{sql!r} passed the guard but SQLite saw actions {writes}"


def test_refused_before_connecting(tmp_path):
    """No server at all: the refusal comes first, so nothing was ever sent."""
    bad = tmp_path / "wipe.sql"
    bad.write_text("SELECT 1 AS customer_id;\nDELETE FROM account_move_line;\n")
    url = f"postgresql+psycopg://reader:s3cret-pw@127.0.0.1:{closed_port()}/odoo"
    df, findings = pull_open_items(url, str(bad))
    assert codes(findings) == ["QUERY_REFUSED"]
    assert "more than one statement" in findings[0].message
    assert where(findings, "QUERY_REFUSED") == [f"query {bad}"]
    assert df.empty and list(df.columns[:3]) == ["customer_id", "customer_name", "document_id"]


def test_unknown_query_names_the_saved_ones():
    _, findings = pull_open_items("sqlite://", "sap_open_items")
    assert codes(findings) == ["QUERY_NOT_FOUND"]
    assert "odoo_open_items" in findings[0].hint


# --------------------------------------------------------------------------- SQLite

LEGACY = """
CREATE TABLE clientes (clave TEXT PRIMARY KEY, nombre TEXT, rfc TEXT);
CREATE TABLE cxc (folio TEXT, clave TEXT, tipo TEXT, fecha TEXT, vence TEXT, moneda TEXT,
                  saldo, total REAL, cancelada INTEGER DEFAULT 0);
INSERT INTO clientes VALUES ('C-001', 'Ferretería López', 'FLO850101AB1'),
                            ('C-002', 'Dulces Finos SA', 'DFI900202CD2');
INSERT INTO cxc VALUES
  ('A-101', 'C-001', 'Factura', '15/09/2026', '15/10/2026', 'MXN', 11600.0, 11600.0, 0),
  ('A-102', 'C-001', 'Factura', '20/09/2026', NULL, 'MXN', '1.234,56', 2320.0, 0),
  ('NC-7', 'C-001', 'Nota de crédito', '25/09/2026', '25/09/2026', 'MXN', -580, -580, 0),
  ('A-103', 'C-002', 'Factura', '01/10/2026', '31/10/2026', 'PESOS', 4640.0, 4640.0, 0),
  ('A-104', 'C-002', 'Factura', NULL, '30/11/2026', 'USD', '99.90', 99.9, 0),
  ('A-105', 'C-002', 'Factura', '02/10/2026', '01/11/2026', 'MXN', 'mil pesos', 1000, 0),
  ('A-099', 'C-002', 'Factura', '01/08/2026', '31/08/2026', 'MXN', 500, 500, 1);
"""

LEGACY_QUERY = """\
-- open items of our old in-house system
SELECT c.clave   AS customer_id,
       k.nombre  AS customer_name,
       c.folio   AS document_id,
       c.tipo    AS document_type,
       c.fecha   AS document_date,
       c.vence   AS due_date,
       c.moneda  AS currency,
       c.saldo   AS amount_open,
       c.total   AS amount_original,
       k.rfc     AS tax_id
FROM cxc c JOIN clientes k ON k.clave = c.clave
WHERE c.cancelada = 0
ORDER BY c.clave, c.folio;
"""


@pytest.fixture
def legacy(tmp_path) -> tuple[str, str]:
    url = sqlite_db(tmp_path / "erp.db", LEGACY)
    query = tmp_path / "legacy_open_items.sql"
    query.write_text(LEGACY_QUERY, encoding="utf-8")
    return url, str(query)


def test_sqlite_dirty_data_is_typed_and_every_problem_located(legacy):
    url, query = legacy
    df, findings = pull_open_items(url, query)
    label = f"query {query}"
    assert df["document_id"].tolist() == ["A-101", "A-102", "NC-7", "A-103", "A-104", "A-105"]
    assert df["document_type"].tolist() == ["invoice"] * 2 + ["credit_note"] + ["invoice"] * 3
    # text "1.234,56" is read with its decimal comma; REAL and integer cells as numbers
    assert df["amount_open"].tolist()[:3] == [1160000, 123456, -58000]
    assert df["amount_open"].iloc[4] == 9990
    assert pd.isna(df["amount_open"].iloc[5])
    assert df["document_date"].iloc[0] == pd.Timestamp("2026-09-15")
    assert df["customer_name"].iloc[0] == "Ferretería López"
    assert df[SOURCE].unique().tolist() == [label]
    assert df["source_row"].tolist() == [1, 2, 3, 4, 5, 6]
    # row N of the result, column by position in the SELECT list
    assert where(findings, "MISSING_DUE_DATE") == [f"{label}:2:6"]
    assert where(findings, "UNKNOWN_CURRENCY") == [f"{label}:4:7"]
    assert where(findings, "MISSING_VALUE") == [f"{label}:5:5"]
    assert where(findings, "NOT_A_NUMBER") == [f"{label}:6:8"]
    assert '"PESOS"' in next(f.message for f in findings if f.code == "UNKNOWN_CURRENCY")
    assert codes(findings)[-1] == "PULLED"
    assert "read 6 rows from sqlite:///" in findings[-1].message
    issues = findings_frame(findings)
    assert set(issues.loc[issues["severity"] == "error", "code"]) == {
        "UNKNOWN_CURRENCY",
        "MISSING_VALUE",
        "NOT_A_NUMBER",
    }


def test_sqlite_file_opened_read_only_and_never_created(tmp_path, legacy):
    url, query = legacy
    before = Path(url.removeprefix("sqlite:///")).read_bytes()
    pull_open_items(url, query)
    assert Path(url.removeprefix("sqlite:///")).read_bytes() == before
    missing = tmp_path / "typo.db"
    _, findings = pull_open_items(f"sqlite:///{missing}", query)
    assert codes(findings) == ["DB_CONNECTION_FAILED"]
    assert "unable to open database file" in findings[0].message
    assert not missing.exists()


def test_parameters_are_bound_and_missing_ones_reported(legacy, tmp_path):
    url, _ = legacy
    q = tmp_path / "since.sql"
    q.write_text(
        "SELECT clave AS customer_id, folio AS document_id, 'invoice' AS document_type,\n"
        "  '2026-10-01' AS document_date, '2026-10-31' AS due_date, 'MXN' AS currency,\n"
        "  total AS amount_open FROM cxc WHERE total >= :minimum ORDER BY folio"
    )
    df, findings = pull_open_items(url, str(q), params={"minimum": 4000})
    assert df["document_id"].tolist() == ["A-101", "A-103"]
    assert not [f for f in findings if f.severity is not Severity.INFO]
    _, findings = pull_open_items(url, str(q))
    assert codes(findings) == ["QUERY_PARAMETERS"]
    assert "minimum" in findings[0].message


def test_query_errors_are_findings(legacy, tmp_path):
    url, _ = legacy
    q = tmp_path / "typo.sql"
    q.write_text("SELECT * FROM cxc_facturas")
    _, findings = pull_open_items(url, str(q))
    assert codes(findings) == ["QUERY_FAILED"]
    assert "no such table: cxc_facturas" in findings[0].message
    assert "[SQL:" not in findings[0].message


def test_missing_columns_name_the_alias_to_add(legacy, tmp_path):
    url, _ = legacy
    q = tmp_path / "bare.sql"
    q.write_text("SELECT folio AS document_id, clave FROM cxc")
    _, findings = pull_open_items(url, str(q))
    missing = [f for f in findings if f.code == "MISSING_COLUMN"]
    assert {f.message.split('"')[1] for f in missing} == {
        "customer_id",
        "document_type",
        "document_date",
        "currency",
        "amount_open",
    }
    assert all(str(f.location) == f"query {q}" for f in missing)
    assert "the query returns: document_id, clave" in missing[0].message
    assert "AS customer_id" in missing[0].hint


def test_rows_are_streamed_in_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(pull, "BATCH_ROWS", 7)
    con = sqlite3.connect(tmp_path / "big.db")
    con.execute("CREATE TABLE cuadre_open_items (customer_id, document_id, document_type,"
                " document_date, due_date, currency, amount_open)")  # fmt: skip
    con.executemany(
        "INSERT INTO cuadre_open_items VALUES (?, ?, 'invoice', ?, ?, 'MXN', ?)",
        [
            (f"C{i % 40:03d}", f"F-{i:05d}", "2026-10-01", "2026-10-31", f"{i}.{i % 100:02d}")
            for i in range(1, 1001)
        ],
    )
    con.commit()
    con.close()
    df, findings = pull_open_items(f"sqlite:///{tmp_path / 'big.db'}", "generic_open_items")
    assert codes(findings) == ["PULLED"]
    assert len(df) == 1000
    assert df["amount_open"].sum() == sum(i * 100 + i % 100 for i in range(1, 1001))
    assert df["source_row"].iloc[-1] == 1000


MICROSIP = """
CREATE TABLE MONEDAS (MONEDA_ID INTEGER, ES_MONEDA_LOCAL CHAR(1), NOMBRE VARCHAR(30),
                      SIMBOLO VARCHAR(10));
CREATE TABLE CLIENTES (CLIENTE_ID INTEGER, NOMBRE VARCHAR(100), MONEDA_ID INTEGER);
CREATE TABLE DIRS_CLIENTES (DIR_CLI_ID INTEGER, CLIENTE_ID INTEGER, RFC_CURP VARCHAR(18));
CREATE TABLE DOCTOS_CC (DOCTO_CC_ID INTEGER, CONCEPTO_CC_ID INTEGER, FOLIO CHAR(9),
    NATURALEZA_CONCEPTO CHAR(1), FECHA DATE, CLIENTE_ID INTEGER, CLAVE_CLIENTE VARCHAR(20),
    CANCELADO CHAR(1), APLICADO CHAR(1), DESCRIPCION VARCHAR(200));
CREATE TABLE IMPORTES_DOCTOS_CC (IMPTE_DOCTO_CC_ID INTEGER, DOCTO_CC_ID INTEGER,
    FECHA DATE, CANCELADO CHAR(1), APLICADO CHAR(1), ESTATUS CHAR(1), DOCTO_CC_ACR_ID INTEGER,
    TIPO_IMPTE CHAR(1), IMPORTE NUMERIC(15,2), IMPUESTO NUMERIC(15,2),
    IVA_RETENIDO NUMERIC(15,2), ISR_RETENIDO NUMERIC(15,2), DSCTO_PPAG NUMERIC(15,2));
CREATE TABLE VENCIMIENTOS_CARGOS_CC (DOCTO_CC_ID INTEGER, FECHA_VENCIMIENTO DATE,
                                     PCTJE_VEN NUMERIC(9,6));
INSERT INTO MONEDAS VALUES (1, 'S', 'Moneda nacional', '$'), (2, 'N', 'Dólar americano', 'US$'),
                           (3, 'N', 'Quetzal', 'Q');
INSERT INTO CLIENTES VALUES (101, 'TORTILLERIA EL SOL', 1), (102, 'IMPORTADORA DEL PACIFICO', 2),
                            (103, 'COMERCIAL CHAPINA', 3);
INSERT INTO DIRS_CLIENTES VALUES (1, 101, 'TSO010203AB4'), (2, 102, 'IPA991231ZZ9');
INSERT INTO DOCTOS_CC VALUES
  (5001, 87, 'A00000123', 'C', '2026-09-01', 101, 'SOL01', 'N', 'S', 'Factura septiembre'),
  (5002, 87, 'A00000124', 'C', '2026-09-15', 101, 'SOL01', 'N', 'S', NULL),
  (5003, 87, 'A00000125', 'C', '2026-09-20', 101, 'SOL01', 'S', 'S', 'cancelada'),
  (5004, 87, 'B00000007', 'C', '2026-10-01', 102, NULL, 'N', 'S', 'Pedido 7781'),
  (5005, 87, 'A00000126', 'C', '2026-10-03', 103, 'CHA01', 'N', 'S', NULL),
  (6001, 12, 'R00000031', 'R', '2026-10-10', 101, 'SOL01', 'N', 'S', 'Cobro'),
  (6002, 12, 'R00000032', 'R', '2026-10-11', 101, 'SOL01', 'N', 'S', 'Cobro'),
  (6003, 12, 'R00000033', 'R', '2026-10-12', 101, 'SOL01', 'S', 'S', 'Cobro cancelado');
INSERT INTO IMPORTES_DOCTOS_CC VALUES
  (1, 5001, '2026-09-01', 'N', 'S', 'N', 5001, 'C', 10000.00, 1600.00, 0, 0, 0),
  (2, 5002, '2026-09-15', 'N', 'S', 'N', 5002, 'C', 2000.00, 320.00, 0, 0, 0),
  (3, 5003, '2026-09-20', 'S', 'S', 'N', 5003, 'C', 900.00, 144.00, 0, 0, 0),
  (4, 5004, '2026-10-01', 'N', 'S', 'N', 5004, 'C', 1000.00, 160.00, 0, 0, 0),
  (5, 5005, '2026-10-03', 'N', 'S', 'N', 5005, 'C', 500.00, 0, 0, 0, 0),
  (6, 6001, '2026-10-10', 'N', 'S', 'N', 5001, 'R', 5000.00, 800.00, 0, 0, 0),
  (7, 6002, '2026-10-11', 'N', 'S', 'N', 5002, 'R', 2000.00, 320.00, 0, 0, 0),
  (8, 6003, '2026-10-12', 'S', 'S', 'N', 5001, 'R', 1000.00, 160.00, 0, 0, 0);
INSERT INTO VENCIMIENTOS_CARGOS_CC VALUES (5001, '2026-10-01', 100), (5002, '2026-10-15', 100),
  (5004, '2026-10-31', 50), (5004, '2026-11-30', 50), (5005, '2026-11-02', 100);
"""


def test_microsip_query_on_microsip_shaped_tables(tmp_path):
    """The saved Firebird query is portable SQL: checked here on SQLite with the same tables."""
    url = sqlite_db(tmp_path / "microsip.db", MICROSIP)
    df, findings = pull_open_items(url, "microsip_open_items")
    rows = df[["customer_id", "document_id", "currency", "amount_open", "amount_original"]]
    assert rows.values.tolist() == [
        # 5004 has no CLAVE_CLIENTE: the numeric CLIENTE_ID stands in
        ["102", "B00000007", "USD", 116000, 116000],
        ["CHA01", "A00000126", "QUETZAL", 50000, 50000],
        # 11,600 charged, 5,800 paid (a cancelled 1,160 payment does not count)
        ["SOL01", "A00000123", "MXN", 580000, 1160000],
    ]  # A00000124 is fully paid and A00000125 cancelled: not open
    assert df["due_date"].tolist() == [
        pd.Timestamp("2026-10-31"),  # installments: the earliest due date
        pd.Timestamp("2026-11-02"),
        pd.Timestamp("2026-10-01"),
    ]
    assert df["tax_id"].tolist() == ["IPA991231ZZ9", "", "TSO010203AB4"]
    assert df["reference"].iloc[2] == "Factura septiembre"
    assert where(findings, "UNKNOWN_CURRENCY") == ["query microsip_open_items:2:7"]


def test_generic_query_reads_the_view(tmp_path):
    url = sqlite_db(
        tmp_path / "view.db",
        LEGACY
        + """
        CREATE VIEW cuadre_open_items AS
        SELECT clave AS customer_id, folio AS document_id, 'invoice' AS document_type,
               '2026-10-01' AS document_date, '2026-10-31' AS due_date, 'MXN' AS currency,
               total AS amount_open, 'branch 2' AS sucursal
        FROM cxc WHERE cancelada = 0 AND tipo = 'Factura' ORDER BY folio;
        """,
    )
    df, findings = pull_open_items(url, "generic_open_items")
    assert codes(findings) == ["PULLED"]
    assert df["document_id"].tolist() == ["A-101", "A-102", "A-103", "A-104", "A-105"]
    assert df["amount_open"].tolist() == [1160000, 232000, 464000, 9990, 100000]
    assert df["sucursal"].unique().tolist() == ["branch 2"]  # extra columns carried through


# --------------------------------------------------------------------------- masking


def test_masking_hides_passwords_even_in_malformed_urls():
    assert mask_url("postgresql+psycopg://ro:pa%40ss@db:5432/odoo") == (
        "postgresql+psycopg://ro:***@db:5432/odoo"
    )
    assert "hunter2" not in mask_url("not a url://ro:hunter2@db/x")


def test_connection_refused_is_a_finding_without_the_password():
    url = f"postgresql+psycopg://reader:Pa55-w0rd!@127.0.0.1:{closed_port()}/odoo"
    df, findings = pull_open_items(url, "odoo_open_items")
    assert codes(findings) == ["DB_CONNECTION_FAILED"]
    f = findings[0]
    assert f.message.startswith("could not connect to postgresql+psycopg://reader:***@127.0.0.1:")
    assert "refused" in f.message.lower()
    assert "password: from the URL" in f.hint
    assert "Pa55-w0rd!" not in str(f) and "Pa55-w0rd!" not in repr(f)
    assert df.empty


def test_missing_driver_says_what_to_install():
    _, findings = pull_open_items("firebird+nodriver://SYSDBA@erp/C:/Microsip/EMPRESA.FDB",
                                  "microsip_open_items")  # fmt: skip
    assert codes(findings) == ["DB_DRIVER_MISSING"]
    assert "firebird" in findings[0].message


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="module")
def pg_url() -> str:
    url = os.environ.get("CUADRE_TEST_PG_URL")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(
                "CUADRE_TEST_PG_URL is not set under CI=true: .ci/run must "
                'eval "$(bash .ci/postgres.sh)" before pytest'
            )
        pytest.skip('no PostgreSQL: eval "$(bash .ci/postgres.sh)" to run these tests')
    return url


@pytest.fixture(scope="module")
def pg_rw_url(pg_url) -> str:
    url = os.environ.get("CUADRE_TEST_PG_RW_URL")
    if not url:
        pytest.fail("CUADRE_TEST_PG_RW_URL is not set: .ci/postgres.sh exports it with the other")
    return url


def _pg_scalar(url: str, sql: str):
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


D = pd.Timestamp


def test_odoo_query_returns_the_expected_typed_table(pg_url):
    df, findings = pull_open_items(pg_url, "odoo_open_items")
    expected = pd.DataFrame(
        {
            "customer_id": ["C0001", "C0001", "C0001", "11", "11", "11", "C0003", ""],
            "document_id": ["RINV/2026/00001", "INV/2026/00001", "INV/2026/00002",
                            "PBNK1/2026/00007", "INV/2026/00003", "INV/2026/00003",
                            "INV/2026/00004", "MISC/2026/00001"],
            "document_type": ["credit_note", "invoice", "invoice", "payment", "invoice",
                              "invoice", "invoice", "adjustment"],
            "document_date": [D("2026-10-05"), D("2026-09-15"), D("2026-09-20"), D("2026-10-10"),
                              D("2026-10-01"), D("2026-10-01"), D("2026-10-12"), D("2026-10-31")],
            "due_date": [D("2026-10-05"), D("2026-10-15"), D("2026-10-20"), D("2026-10-10"),
                         D("2026-10-31"), D("2026-11-30"), D("2026-11-11"), pd.NaT],
            "currency": ["MXN"] * 6 + ["USD", "MXN"],
            "amount_open": pd.array([-116000, 1160000, 500050, -300000, 580000, 580000,
                                     100000, 25000], dtype="Int64"),
            "amount_original": pd.array([-116000, 1160000, 2320000, -300000, 580000, 580000,
                                         100000, 25000], dtype="Int64"),
            "reference": ["INV/2026/00001", "PO-7781", "", "", "OC 4410", "OC 4410", "GX-PO-19",
                          "Ajuste de saldo"],
            "tax_id": ["AES010101AB1"] * 3 + ["CNO990101XY2"] * 3 + ["", ""],
            "company": ["Distribuidora Demo SA de CV"] * 8,
            SOURCE: ["query odoo_open_items"] * 8,
            "source_row": pd.array(range(1, 9), dtype="Int64"),
        }
    )  # fmt: skip
    text = [c for c in expected.columns if pd.api.types.is_string_dtype(expected[c])]
    expected = expected.astype(  # the engine keeps text as str objects, dates in ns
        {**dict.fromkeys(text, object), "document_date": "M8[ns]", "due_date": "M8[ns]"}
    )
    pd.testing.assert_frame_equal(df[expected.columns], expected)
    assert df["customer_name"].iloc[0] == "Abarrotes La Esperanza SA de CV"
    assert df["fiscal_uuid"].eq("").all()
    assert df["odoo_line_id"].str.fullmatch(r"\d+").all()  # extra column, kept as text
    # the partner-less adjustment is the only problem, pointed at its cell
    assert [(f.code, str(f.location)) for f in findings if f.severity is not Severity.INFO] == [
        ("MISSING_VALUE", "query odoo_open_items:8:1")
    ]


def test_pg_write_attempts_refused_before_the_server(pg_rw_url, tmp_path):
    count = "SELECT count(*) FROM account_move_line"
    before = _pg_scalar(pg_rw_url, count)
    for i, sql in enumerate(
        [
            "DELETE FROM account_move_line",
            "INSERT INTO res_currency (name) VALUES ('XXX')",
            "UPDATE account_move_line SET amount_residual = 0",
            "SELECT 1 AS customer_id; DELETE FROM account_move_line",
            "WITH x AS (DELETE FROM account_move_line RETURNING id) SELECT id FROM x",
        ]
    ):
        q = tmp_path / f"w{i}.sql"
        q.write_text(sql)
        df, findings = pull_open_items(pg_rw_url, str(q))
        assert codes(findings) == ["QUERY_REFUSED"], sql
        assert df.empty
    assert _pg_scalar(pg_rw_url, count) == before
    assert _pg_scalar(pg_rw_url, "SELECT count(*) FROM res_currency WHERE name = 'XXX'") == 0


def test_pg_session_is_read_only_even_for_an_owner(pg_rw_url, tmp_path):
    """A SELECT that writes through a function is stopped by the READ ONLY transaction."""
    q = tmp_path / "sneaky.sql"
    q.write_text("SELECT setval('account_move_id_seq', 9999) AS customer_id")
    before = _pg_scalar(pg_rw_url, "SELECT last_value FROM account_move_id_seq")
    _, findings = pull_open_items(pg_rw_url, str(q))
    assert codes(findings) == ["QUERY_FAILED"]
    assert "read-only transaction" in findings[0].message
    assert _pg_scalar(pg_rw_url, "SELECT last_value FROM account_move_id_seq") == before


def _password(url: str) -> str:
    from sqlalchemy.engine import make_url

    secret = make_url(url).password
    assert secret
    return str(secret)


def _without_password(url: str) -> str:
    bare = url.replace(f":{_password(url)}@", "@")
    assert bare != url
    return bare


def test_pg_password_never_in_findings_or_frame(pg_url, tmp_path):
    secret = _password(pg_url)
    q = tmp_path / "echo.sql"
    # even a query that shows the connection's own settings does not reveal it
    q.write_text(
        "SELECT current_user AS customer_id, 'x' AS document_id, 'invoice' AS document_type,\n"
        "  current_date AS document_date, 'MXN' AS currency, 1 AS amount_open,\n"
        "  current_setting('application_name') AS reference"
    )
    for query in ("odoo_open_items", str(q)):
        df, findings = pull_open_items(pg_url, query)
        shown = "\n".join(str(f) + repr(f) for f in findings)
        assert secret not in shown
        assert secret not in df.to_csv() and secret not in repr(df.attrs)
        assert df.attrs["pull_url"].startswith("postgresql+psycopg://cuadre_ro:***@")
    bad = pg_url.replace(secret, secret[::-1])
    _, findings = pull_open_items(bad, "odoo_open_items")
    assert codes(findings) == ["DB_CONNECTION_FAILED"]
    assert "password authentication failed" in findings[0].message
    assert secret not in str(findings[0]) and secret[::-1] not in str(findings[0])


def test_pg_password_from_environment(pg_url, monkeypatch):
    monkeypatch.setenv("CUADRE_DB_PASSWORD", _password(pg_url))
    df, findings = pull_open_items(_without_password(pg_url), "odoo_open_items")
    assert len(df) == 8 and codes(findings)[-1] == "PULLED"
    monkeypatch.setenv("CUADRE_DB_PASSWORD", "wrong-one")
    _, findings = pull_open_items(_without_password(pg_url), "odoo_open_items")
    assert codes(findings) == ["DB_CONNECTION_FAILED"]
    assert "password: from CUADRE_DB_PASSWORD" in findings[0].hint
    assert "wrong-one" not in str(findings[0])


def test_pg_password_from_keyring(pg_url, monkeypatch):
    asked: list[tuple[str, str]] = []

    def get_password(service: str, username: str) -> str:
        asked.append((service, username))
        return _password(pg_url)

    monkeypatch.setitem(sys.modules, "keyring", types.SimpleNamespace(get_password=get_password))
    monkeypatch.delenv("CUADRE_DB_PASSWORD", raising=False)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    df, findings = pull_open_items(_without_password(pg_url), "odoo_open_items")
    assert asked == [("cuadre", "cuadre_ro")]
    assert len(df) == 8 and codes(findings)[-1] == "PULLED"


def test_pg_connection_refused(pg_url):
    from sqlalchemy.engine import make_url

    url = make_url(pg_url).set(port=closed_port()).render_as_string(hide_password=False)
    _, findings = pull_open_items(url, "odoo_open_items")
    assert codes(findings) == ["DB_CONNECTION_FAILED"]
    assert "Connection refused" in findings[0].message
    assert _password(pg_url) not in str(findings[0])


def test_pg_dates_and_amounts_keep_their_types(pg_url, tmp_path):
    """Decimal and date values from the driver arrive exactly (no float round trip)."""
    q = tmp_path / "types.sql"
    q.write_text(
        "SELECT 'C1' AS customer_id, 'F1' AS document_id, 'invoice' AS document_type,\n"
        "  DATE '2026-10-31' AS document_date, TIMESTAMP '2026-11-30 18:30' AS due_date,\n"
        "  'MXN' AS currency, 12345678901234.57::numeric(20,2) AS amount_open,\n"
        "  1E+3::numeric AS amount_original"
    )
    df, findings = pull_open_items(pg_url, str(q))
    assert codes(findings) == ["PULLED"]
    assert df["amount_open"].iloc[0] == 1234567890123457
    assert df["amount_original"].iloc[0] == 100000
    assert df["due_date"].iloc[0] == pd.Timestamp(dt.date(2026, 11, 30))
