"""Every contract table reads a dirty file written by another program, and locates bad cells."""

import pytest

from cuadre.io.tables import read_table
from cuadre.model.tables import TABLES, Kind

# one valid value per kind, written the messy ways real files write them
MESSY = {
    Kind.TEXT: "  00123 ",
    Kind.DATE: "31/10/2026",
    Kind.MONEY: '"1.234,56"',
    Kind.INT: "30",
    Kind.RATIO: "0,95",
    Kind.CURRENCY: "mxn",
}
BAD = {
    Kind.DATE: "31/13/2026",
    Kind.MONEY: "12x34",
    Kind.INT: "treinta",
    Kind.RATIO: "alta",
    Kind.CURRENCY: "PESOS",
}
ALLOWED_FIRST = {"document_type": "Factura", "status": "auto"}


def value_for(col):
    if col.allowed:
        return ALLOWED_FIRST.get(col.name, col.allowed[0])
    if col.name == "amount":
        return '"1.234,56"'  # payments must be positive
    return MESSY[col.kind]


@pytest.mark.parametrize("name", sorted(TABLES))
def test_messy_but_valid_file_reads_cleanly(name, write):
    schema = TABLES[name]
    header = ";".join(c.name.upper().replace("_", " ") for c in schema.columns)
    row = ";".join(value_for(c) for c in schema.columns)
    p = write(f"{name}.csv", "\ufeff" + header + "\n" + row + "\n;;\n")
    df, findings = read_table(p, schema)
    errors = [str(f) for f in findings if f.is_error]
    assert not errors
    assert len(df) == 1
    for col in schema.columns:
        v = df[col.name].iloc[0]
        if col.kind == Kind.MONEY:
            assert v == 123456, col.name
        elif col.kind == Kind.DATE:
            assert str(v.date()) == "2026-10-31", col.name
        elif col.kind == Kind.CURRENCY:
            assert v == "MXN"
        elif col.kind == Kind.TEXT and not col.allowed:
            assert v == "00123", col.name


TYPED = sorted(n for n, t in TABLES.items() if any(c.kind in BAD or c.allowed for c in t.columns))


@pytest.mark.parametrize("name", TYPED)
def test_each_bad_cell_is_located(name, write):
    schema = TABLES[name]
    cols = schema.columns
    header = ",".join(c.name for c in cols)
    good = [value_for(c).replace('"1.234,56"', "1234.56").replace("0,95", "0.95") for c in cols]
    good = [v.replace("31/10/2026", "2026-10-31") for v in good]
    bad_rows = []
    expected = set()
    for i, col in enumerate(cols):
        if col.kind in BAD or col.allowed:
            row = list(good)
            row[i] = BAD.get(col.kind, "nonsense") if not col.allowed else "nonsense"
            bad_rows.append(",".join(row))
            expected.add((len(bad_rows) + 1, i + 1))
    p = write(f"{name}.csv", header + "\n" + "\n".join(bad_rows) + "\n")
    _, findings = read_table(p, schema)
    located = {(f.location.row, f.location.column) for f in findings if f.is_error}
    assert expected <= located
