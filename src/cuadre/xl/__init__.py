"""The Excel shell: ribbon scripts, worksheet functions, the headless engine, the add-in.

- :mod:`cuadre.xl.scripts`: ``xl_<verb>(book)``, one per ribbon button;
- :mod:`cuadre.xl.run`: ``cuadre run <script> --workbook FILE``;
- :mod:`cuadre.xl.udfs` / :mod:`cuadre.xl.functions`: the ``CUADRE_*`` functions;
- :mod:`cuadre.xl.engine`: an xlwings engine over a workbook file (no Excel);
- :mod:`cuadre.xl.addin`: builds ``Cuadre.xlam`` from xlwings' template.
"""
