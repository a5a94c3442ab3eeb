"""Benchmark: import a 200,000-line camt.053 through ``cuadre.importers.bank``.

Generates a deterministic camt.053.001.08 statement (one ``Ntry`` per line, a third of
them debits, with counterparty, IBAN, end-to-end id and remittance, plus every 50th
entry a batch of two ``TxDtls``) in a temporary folder, imports it with
:func:`cuadre.importers.bank.import_bank_files` and prints one Markdown table row:
lines, file size, wall seconds, CPU seconds of the import (steadier than wall time on a
loaded machine), peak RSS (``resource.getrusage``, the whole process).

    python benchmarks/bench_import_camt.py [LINES]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from cuadre.importers.bank import import_bank_files

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def _money(cents: int) -> str:
    return f"{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _balance(code: str, cents: int, day: str) -> str:
    side = "CRDT" if cents >= 0 else "DBIT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="EUR">{_money(cents)}</Amt><CdtDbtInd>{side}</CdtDbtInd>'
        f"<Dt><Dt>{day}</Dt></Dt></Bal>\n"
    )


def _tx(i: int, cents: int, side: str) -> str:
    party = "Dbtr" if side == "CRDT" else "Cdtr"
    return (
        f"<TxDtls><Refs><EndToEndId>E2E{i:09d}</EndToEndId></Refs>"
        f'<Amt Ccy="EUR">{_money(cents)}</Amt><CdtDbtInd>{side}</CdtDbtInd>'
        f"<RltdPties><{party}><Pty><Nm>Cliente {i % 5000} SA de CV</Nm></Pty></{party}>"
        f"<{party}Acct><Id><IBAN>ES76{i:020d}</IBAN></Id></{party}Acct></RltdPties>"
        f"<RmtInf><Ustrd>FACTURA FA-{i:06d}</Ustrd></RmtInf></TxDtls>"
    )


def _entry(i: int) -> tuple[str, int, int]:
    """(XML, signed cents, bank lines) of entry i."""
    cents = (i * 7919) % 500_000 + 1
    side = "CRDT" if i % 3 else "DBIT"
    day = f"2026-10-{i % 28 + 1:02d}"
    if i % 50 == 0:  # a batch: two details that add up to the entry
        first = cents // 3
        details = _tx(i, first, side) + _tx(i + 1_000_000, cents - first, side)
        lines = 2
    else:
        details, lines = _tx(i, cents, side), 1
    xml = (
        f'<Ntry><NtryRef>{i + 1}</NtryRef><Amt Ccy="EUR">{_money(cents)}</Amt>'
        f"<CdtDbtInd>{side}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
        f"<BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>"
        f"<AcctSvcrRef>ASR{i:09d}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly>"
        f"<Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
        f"<NtryDtls>{details}</NtryDtls></Ntry>\n"
    )
    return xml, cents if side == "CRDT" else -cents, lines


def write_camt053(path: Path, lines: int) -> int:
    """Write a statement with at least ``lines`` bank lines; return the number of lines."""
    entries, total, count = [], 0, 0
    i = 0
    while count < lines:
        xml, cents, n = _entry(i)
        entries.append(xml)
        total += cents
        count += n
        i += 1
    opening = 10_000_000
    with path.open("w", encoding="utf-8") as out:
        out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{NS}">\n')
        out.write("<BkToCstmrStmt><GrpHdr><MsgId>BENCH-1</MsgId>")
        out.write("<CreDtTm>2026-10-31T20:00:00</CreDtTm></GrpHdr>\n<Stmt><Id>BENCH-2026-10</Id>")
        out.write("<Acct><Id><IBAN>ES9121000418450200051332</IBAN></Id><Ccy>EUR</Ccy></Acct>\n")
        out.write(_balance("OPBD", opening, "2026-09-30"))
        out.write(_balance("CLBD", opening + total, "2026-10-31"))
        out.writelines(entries)
        out.write("</Stmt></BkToCstmrStmt></Document>\n")
    return count


def main(lines: int = 200_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.camt053.xml"
        expected = write_camt053(path, lines)
        size_mb = path.stat().st_size / 1e6
        start, cpu = time.perf_counter(), time.process_time()
        result = import_bank_files([path])
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    problems = [f for f in result.findings if f.severity.value != "info"]
    assert len(result.bank_lines) == expected, (len(result.bank_lines), expected)
    assert not problems, problems[:3]
    print("| bank lines | file MB | wall s | CPU s | peak RSS MB |")
    print("|---:|---:|---:|---:|---:|")
    print(
        f"| {len(result.bank_lines):,} | {size_mb:.0f} | {seconds:.1f} | {cpu:.1f} "
        f"| {peak_mb:.0f} |"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("lines", nargs="?", type=int, default=200_000, help="bank lines (200000)")
    main(ap.parse_args().lines)
