import pytest

from cuadre.text import compact, normalize_name, numeric_core, split_list, strip_cut_legal_form


@pytest.mark.parametrize(
    "bank, erp",
    [
        ("DISTRIBUIDORA NANDU SA DE CV", "Distribuidora Ñandú, S.A. de C.V."),
        ("TRANSPORTES DEL NORTE S DE RL", "Transportes del Norte S. de R.L. de C.V."),
        ("CONSTRUCCIONES PENALOSA SAS", "Construcciones Peñalosa S.A.S."),
        ("ACME INC", "Acme, Inc."),
        ("GRUPO ALFA SAPI DE CV", "Grupo Alfa S.A.P.I. de C.V."),
        ("COMERCIALIZADORA CAFETERA LIMITADA", "Comercializadora Cafetera Ltda."),
        ("TEXTILES DEL SUR SOCIEDAD ANONIMA", "Textiles del Sur S.A."),
    ],
)
def test_bank_and_erp_names_meet(bank, erp):
    assert normalize_name(bank) == normalize_name(erp)


def test_compact_and_numeric_core():
    assert compact("fa-104 233") == "FA104233"
    assert numeric_core("FA-0104233") == "104233"
    assert numeric_core("no digits") == ""
    assert split_list(" 0121; ;0456 ") == ["0121", "0456"]


@pytest.mark.parametrize(
    "cut, kept",
    [
        ("AGENCIA DE ADUANAS RISARALDA LIMITA", "AGENCIA DE ADUANAS RISARALDA"),
        ("PLASTICOS BOLIVAR SOCIEDAD POR ACCI", "PLASTICOS BOLIVAR"),
        ("DISTRIBUIDORA NANDU SOCIEDAD ANONIMA DE CAP", "DISTRIBUIDORA NANDU"),
        ("GRUPO FINANCIERO CAPITAL", "GRUPO FINANCIERO CAPITAL"),  # a name, not a form
        ("TRANSPORTES SANTA FE", "TRANSPORTES SANTA FE"),
    ],
)
def test_legal_form_cut_by_the_bank_goes(cut, kept):
    assert strip_cut_legal_form(normalize_name(cut)) == kept
