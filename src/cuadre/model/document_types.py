"""Document-type names accountants use, mapped to the contract's six types.

The aliases (``Factura``, ``NC``, ``Nota de crédito``, SAP's ``DR``/``DG``/``DZ``...)
are reference data in ``data/document_types.csv``.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def document_type_aliases() -> dict[str, str]:
    text = resources.files("cuadre.data").joinpath("document_types.csv").read_text("utf-8")
    return {r["alias"].casefold(): r["document_type"] for r in csv.DictReader(text.splitlines())}


def canonical_document_type(text: str) -> str:
    """``"Credit Note"`` -> ``credit_note``; unknown text is returned unchanged."""
    key = " ".join(text.replace("_", " ").split()).casefold().rstrip(".")
    return document_type_aliases().get(key, document_type_aliases().get(key.replace(" ", "_"), text))
