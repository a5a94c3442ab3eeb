import pytest

from cuadre.text import compact, normalize_name, numeric_core, split_list


@pytest.mark.parametrize(
    "bank, erp",
    [
        ("DISTRIBUIDORA NANDU SA DE CV", "Distribuidora Ñandú, S.A. de C.V."),
        ("TRANSPORTES DEL NORTE S DE RL", "Transportes del Norte S. de R.L. de C.V."),
        ("CONSTRUCCIONES PENALOSA SAS", "Construcciones Peñalosa S.A.S."),
        ("ACME INC", "Acme, Inc."),
        ("GRUPO ALFA SAPI DE CV", "Grupo Alfa S.A.P.I. de C.V."),
    ],
)
def test_bank_and_erp_names_meet(bank, erp):
    assert normalize_name(bank) == normalize_name(erp)


def test_compact_and_numeric_core():
    assert compact("fa-104 233") == "FA104233"
    assert numeric_core("FA-0104233") == "104233"
    assert numeric_core("no digits") == ""
    assert split_list(" 0121; ;0456 ") == ["0121", "0456"]
