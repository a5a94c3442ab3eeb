"""Cash application: apply incoming payments to open invoices, and say why.

``match_payments(open_items, payments, customers, policy) -> (allocations, findings)``

Strict by default: a false automatic application is worse than an item left for
review. A payment is applied automatically (status ``auto``) only when its confidence
reaches ``policy.auto_threshold``; otherwise the best candidate is ``suggested`` with
the competitors named in the reason, or the money goes ``on_account`` (customer known,
no document fits) or ``unmatched`` (customer unknown). Every row carries its
confidence and a reason in words.

How a payment is read (each rule is one an AR accountant states in words):

1. **Invoice references** in the remittance (:mod:`.references`): ``FA-104233``,
   ``FA104233``, ``fact 0104233``, ``104233``, lists and ranges; customer PO numbers
   printed on the invoice count too.
2. **The customer** (:mod:`.identify`): payer account, tax id, the payer name equal to
   one customer's name or alias, cut by the bank, or close to it; a third party paying
   for a customer it names in the remittance.
3. **The allocation** (:mod:`.engine`), two passes. First the payments that name their
   documents: settled in full when the amount equals their open total; when a PO names
   several invoices, the one combination of them the amount equals; short payments
   explained by a bank fee, an early-payment discount or withholdings settle with the
   difference shown; a shortfall equal to an open credit note nets it; other small
   shortfalls settle as a deduction kept open to investigate (unless the payer says
   the payment is partial); larger shortfalls are partial payments, oldest due first;
   an excess is completed with the only other invoices that make it up (the bank cut
   the list), or left on account when it is small or a rounding up. Then the payments
   without references, by the identified customer and the exact amount: one open
   document of that amount, the whole balance, the one run of consecutive invoices in
   due-date order (payers pay oldest first, perhaps skipping a disputed one) or
   combination of the oldest invoices that makes the sum, the same net of an open
   credit note, or an invoice (or run) less a known deduction. Identical amounts and
   several fitting combinations are suggestions with their competitors named.

Payments go by value date, then payment id, within each pass; every application
lowers the document's remaining amount, so nothing is applied twice. Conservation
(per payment, applied + difference = amount; every payment present) and no document
over-applied are checked on every run (:mod:`.checks`).
"""

from cuadre.matching.checks import apply_allocations, check_conservation, check_over_application
from cuadre.matching.engine import find_refs, match_payments
from cuadre.matching.policy import MatchPolicy
from cuadre.matching.references import CUT_REMITTANCE_LENGTH, MAX_RANGE
from cuadre.matching.references import tokens as _tokens
from cuadre.matching.search import explain_shortfall, find_runs, find_subsets

__all__ = [
    "CUT_REMITTANCE_LENGTH",
    "MAX_RANGE",
    "MatchPolicy",
    "_tokens",
    "apply_allocations",
    "check_conservation",
    "check_over_application",
    "explain_shortfall",
    "find_refs",
    "find_runs",
    "find_subsets",
    "match_payments",
]
