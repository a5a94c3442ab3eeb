"""sniff_separator: the one separator sniffer of contract CSVs, bank CSVs and ERP text
exports (cuadre.io.tables)."""

import pytest

from cuadre.io.tables import sniff_separator


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("customer_id,name,amount\nC1,Acme,1.5\n", ","),
        ("Fecha;Concepto;Importe\n01/10/2026;Pago;1.234,56\n", ";"),
        ("a\tb\tc\n", "\t"),
        ("01/10/2026;1.234,56", ";"),  # one of each: a tie goes to ";", commas sit in fields
        ('"Smith, John";"Acme, Inc";10', ";"),  # separators inside quotes do not count
        ("\n;;;\n,,\nid|name\n", "|"),  # blank and separator-only lines do not vote
        ("", ","),
        ("just a title", ","),
    ],
)
def test_one_text(text: str, expected: str) -> None:
    assert sniff_separator(text) == expected


def test_lines_vote_and_title_lines_do_not() -> None:
    lines = [
        "Customer line items, company 1000, key date 31.10.2026",  # a title, one comma
        "Account;Document Number;Amount",
        "100;1800;1.234,56",
        "100;1801;99,00",
    ]
    assert sniff_separator(lines) == ";"
    assert sniff_separator("\n".join(lines)) == ";"


def test_sap_list_with_decimal_commas_is_pipes() -> None:
    lines = ["| Account | Doc | Amount |", "| 100 | 1800 | 1,234.56 |", "| 100 | 1801 | 9,999.00 |"]
    assert sniff_separator(lines) == "|"
