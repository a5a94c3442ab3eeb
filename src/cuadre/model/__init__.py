"""The data contract in code: table schemas, record types and conversions."""

from cuadre.model.tables import (
    ALLOCATIONS,
    BANK_LINES,
    CUSTOMERS,
    OPEN_ITEMS,
    PAYMENTS,
    PROVENANCE,
    STATEMENTS,
    TABLES,
    TRIAL_BALANCE,
    Column,
    Kind,
    TableSchema,
)

__all__ = [
    "ALLOCATIONS",
    "BANK_LINES",
    "CUSTOMERS",
    "OPEN_ITEMS",
    "PAYMENTS",
    "PROVENANCE",
    "STATEMENTS",
    "TABLES",
    "TRIAL_BALANCE",
    "Column",
    "Kind",
    "TableSchema",
]
