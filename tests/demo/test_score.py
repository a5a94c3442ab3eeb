import pandas as pd

from cuadre.demo.score import score_allocations


def frame(rows, cols):
    out = pd.DataFrame(rows, columns=cols)
    out["amount_applied"] = out["amount_applied"].astype("Int64")
    return out


TRUTH = frame(
    [("L1", "A", "C1", 100, "exact_ref"), ("L2", "B", "C1", 50, "multi"), ("L2", "C", "C1", 50, "multi"),
     ("L3", "", "", 7, "unidentified")],
    ["line_id", "document_id", "customer_id", "amount_applied", "scenario"],
)


def test_right_wrong_and_unmatched_are_counted():
    alloc = frame(
        [("L1", "A", "C1", 100, "auto"), ("L2", "B", "C1", 50, "auto"),
         ("L2", "", "C1", 50, "on_account"), ("L3", "", "", 7, "unmatched")],
        ["payment_id", "document_id", "customer_id", "amount_applied", "status"],
    )
    s = score_allocations(alloc, TRUTH)
    assert (s.with_documents, s.auto_payments, s.auto_correct) == (2, 2, 1)
    assert s.auto_precision == 0.5 and s.auto_rate == 0.5
    assert s.no_document_handled == 1 and s.customer_rate == 1.0
    assert s.coverage == 0.5
    row = s.by_scenario.set_index("scenario").loc["multi"]
    assert (row["auto_correct"], row["auto_wrong"]) == (0, 1)
