from cuadre.findings import (
    Location,
    Severity,
    column_letter,
    error,
    findings_frame,
    has_errors,
    info,
    warning,
)


def test_column_letters():
    assert [column_letter(i) for i in (1, 26, 27, 28, 702, 703)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]


def test_locations_render_for_cli_and_excel():
    loc = Location("oi.xlsx", 17, 5, "Open Items")
    assert str(loc) == "oi.xlsx:17:5"
    assert loc.excel() == "'Open Items'!E17"
    assert Location("oi.csv", 3).excel() == "row 3"
    assert str(Location("oi.csv")) == "oi.csv"


def test_finding_text_has_hint_and_excel_cell():
    f = error(Location("oi.xlsx", 4, 7, "OpenItems"), "NOT_A_NUMBER", 'amount "x" is bad', "Fix it.")
    assert str(f) == 'oi.xlsx:4:7: error: OpenItems!G4: amount "x" is bad. Fix it.'
    assert has_errors([f]) and not has_errors([warning(Location(), "W", "w")])


def test_findings_frame_sorts_errors_first():
    frame = findings_frame(
        [info(Location("a"), "I", "i"), error(Location("b", 2, 1, "S"), "E", "e")]
    )
    assert frame["severity"].tolist() == [Severity.ERROR, Severity.INFO]
    assert frame["cell"].tolist() == ["S!A2", ""]
    assert findings_frame([]).empty
