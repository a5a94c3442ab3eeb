"""Cuadre: the accounts-receivable month-end close, exact and traceable, inside Excel."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cuadre")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
