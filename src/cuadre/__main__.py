"""``python -m cuadre`` runs the ``cuadre`` command."""

from cuadre.cli import app

app(prog_name="cuadre")
