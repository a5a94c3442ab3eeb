"""Collections: who to call first, what to send them, and what to hold.

- :mod:`~cuadre.collections.disputes`: the dispute log; disputed amounts are kept out of
  dunning and shown apart in the aging.
- :mod:`~cuadre.collections.promises`: promises to pay, kept / partially kept / broken
  from the payments applied.
- :mod:`~cuadre.collections.credit`: limits, exposure, hold and release lists.
- :mod:`~cuadre.collections.dunning`: levels by days overdue, fees and interest, letters
  from editable Jinja templates (Spanish and English).
- :mod:`~cuadre.collections.worklist`: customers ranked by a documented priority score,
  with the next action and the contact.
- :mod:`~cuadre.collections.statements`: statements of account as xlsx and PDF.

Every function is pure (tables in, tables and findings out) except the writers; see
docs/collections.md for the tables and the rules in words.
"""
