#!/usr/bin/env python3
"""Measure what `watcher compare OLD NEW --json` reports on the labelled version pairs.

    .venv/bin/python scripts/eval_pairs.py [--pairs DIR] [--corpus DIR] [--json] [--verbose]
                                           [--md] [--only SUBSTRING] [--no-warm-up]

Data: `--pairs` (default ../shared/corpus-pairs: labels.json + Markdown versions) and
`--corpus` (default ../shared/corpus: labels.json, raw HTML + Open Terms Archive's Markdown,
and refetches whose policy text did not change, the "noise" pairs). Each pair runs the real
analysis in-process, exactly what `watcher compare` runs (`watcher.cli.tools.read_document` then
`watcher.cli.tools.compare_documents`). Corpus pairs are read from the HTML with the document's
selectors from manifest.json (the reference .md when it has none, or with `--md`).

Printed per language (the label's) and overall:
- date: the new written date is right (a date finding whose new value is the labelled ISO
  date); P/R/F1 over pairs whose date changed and any date finding elsewhere;
- parties added/removed: names match case-insensitively, ignoring legal suffixes ("Google
  LLC" = "Google"), Markdown and a leading "The"; a finding matches on its value or its key;
  `party_renamed` counts as the old name removed and the new one added;
- contact e-mails added/removed;
- retention: labelled changes found (corpus labels only) and retention findings overall;
- noise pairs (refetch, same text) and no-change pairs (label "none"): findings reported;
  quiet pairs (label none/minor): party findings reported;
- analysis time per pair (facts of both versions + analysis, caches cleared first; CPU time,
  as the machine may be shared), p50/p95; for changed pairs also the daemon's share (the new
  version's facts + analysis, the old facts being stored), the word-level rendering of the
  hunks (worked out when a report or the CLI shows them, timed on its own), and the whole
  compare including reading and extraction (wall time). The labelled pairs run once untimed first (compiling
  patterns and deriving their prefilters is paid once per process, not per change); each
  timed pair then starts with every per-text cache cleared. `--no-warm-up` skips that pass.

`--verbose` lists every miss (FN) and false positive (FP) per pair; `--json` prints the same
figures as one JSON object. Nothing is written anywhere.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"  # ../shared beside the checkout
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import typer  # noqa: E402

from watcher import analysis as _analysis  # noqa: E402
from watcher import facts as _facts  # noqa: E402
from watcher.analysis.findings import analyze  # noqa: E402
from watcher.cli.tools import compare_documents, read_document  # noqa: E402
from watcher.models import Document, Finding  # noqa: E402

# ----------------------------------------------------------------------------- name matching

# Legal forms, stripped (repeatedly) from the end of a name before comparing. Our own list,
# independent of the code under test.
_LEGAL = (
    r"inc|incorporated|corp|corporation|co|company|ltd|limited|llc|l\.l\.c|llp|lp|plc|pbc|ulc"
    r"|gmbh|ggmbh|mbh|ag|se|kg|ohg|e\.?k|s\.?a|s\.?a\.?s|sas|sasu|sarl|s\.?à\.?\s?r\.?l|s\.?a\.?r\.?l"
    r"|s\.?c\.?a|s\.?r\.?l|srl|s\.?l|s\.?l\.?u|s\.?p\.?a|spa|b\.?v|n\.?v|ab|aps|a/s|as|asa|oy|oyj"
    r"|pty|pte|k\.?k|private|unlimited|et cie|& co|co\.,? ltd"
)
_LEGAL_TAIL = re.compile(rf"(?:[\s,]+(?:{_LEGAL})\.?)+$", re.I)
_MD = re.compile(r"[\\*_`\[\]]")


def norm_name(name: Any) -> str:
    """Lower-case name without Markdown, legal suffixes, a leading "the" and punctuation ends."""
    s = _MD.sub("", str(name)).replace("\u2019", "'").strip().lower()
    s = re.sub(r"\s+", " ", s)
    prev = None
    while prev != s:
        prev = s
        s = _LEGAL_TAIL.sub("", s).strip(" ,.;:")
    s = re.sub(r"^the\s+", "", s)
    return s or str(name).strip().lower()


def norm_email(s: Any) -> str:
    return _MD.sub("", str(s)).strip().lower()


# ----------------------------------------------------------------------------- label dates

_MONTHS = {
    m: i + 1
    for i, ms in enumerate(
        [
            "january jan",
            "february feb",
            "march mar",
            "april apr",
            "may",
            "june jun",
            "july jul",
            "august aug",
            "september sep sept",
            "october oct",
            "november nov",
            "december dec",
        ]
    )
    for m in ms.split()
}
_MONTH = r"(?P<m>[A-Za-z]{3,9})\.?"
_DAY = r"(?P<d>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<y>\d{4})"
_LABEL_DATES = [
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}"),
    re.compile(rf"\b{_DAY}\s+{_MONTH},?\s+{_YEAR}"),
    re.compile(r"\b(?P<y>\d{4})-(?P<mm>\d{2})-(?P<d>\d{2})\b"),
]


def label_iso(text: str | None) -> str | None:
    """ISO date of a labelled English date string ("Last updated: October 21, 2025")."""
    for rx in _LABEL_DATES:
        for m in rx.finditer(text or ""):
            gd = m.groupdict()
            month = int(gd["mm"]) if gd.get("mm") else _MONTHS.get(gd["m"].lower())
            if month:
                return f"{int(gd['y']):04d}-{month:02d}-{int(gd['d']):02d}"
    return None


def finding_iso(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v)
    return s + "-01" if re.fullmatch(r"\d{4}-\d{2}", s) else s


# ----------------------------------------------------------------------------- scoring


@dataclass
class Count:
    tp_pred: int = 0  # predictions that match a label
    fp: int = 0
    tp_gold: int = 0  # labels found
    fn: int = 0

    def add(self, other: Count) -> None:
        self.tp_pred += other.tp_pred
        self.fp += other.fp
        self.tp_gold += other.tp_gold
        self.fn += other.fn

    @property
    def p(self) -> float | None:
        n = self.tp_pred + self.fp
        return self.tp_pred / n if n else None

    @property
    def r(self) -> float | None:
        n = self.tp_gold + self.fn
        return self.tp_gold / n if n else None

    @property
    def f1(self) -> float | None:
        p, r = self.p, self.r
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp_gold,
            "fp": self.fp,
            "fn": self.fn,
            "p": _round(self.p),
            "r": _round(self.r),
            "f1": _round(self.f1),
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def score_sets(
    gold: set[tuple[str, str]], preds: list[tuple[str, frozenset[str], str]]
) -> tuple[Count, list[str], list[str]]:
    """Match predictions (side, acceptable normalized names, shown name) against gold
    (side, normalized name). Returns the counts, the misses and the false positives."""
    c = Count()
    found: set[tuple[str, str]] = set()
    fps: list[str] = []
    for side, names, shown in preds:
        hit = {(side, n) for n in names} & gold
        if hit:
            c.tp_pred += 1
            found |= hit
        else:
            c.fp += 1
            fps.append(f"{side} {shown}")
    missed = sorted(f"{s} {n}" for s, n in gold - found)
    c.tp_gold = len(gold & found)
    c.fn = len(missed)
    return c, missed, fps


# ----------------------------------------------------------------------------- one pair


@dataclass
class PairResult:
    where: str
    dataset: str
    language: str
    label_class: str | None
    noise: bool = False
    dates: Count = field(default_factory=Count)
    parties: Count = field(default_factory=Count)
    emails: Count = field(default_factory=Count)
    retention_gold: bool | None = None  # None: not labelled
    retention_found: bool = False
    n_findings: int = 0
    n_fact_findings: int = 0  # all but text_changed
    n_party_findings: int = 0
    n_above_info: int = 0
    analysis_ms: float = 0.0
    new_ms: float = 0.0  # the new version's facts + analysis (the daemon's cost of a change)
    words_ms: float = 0.0  # the hunks' word diff, paid when a report or the CLI shows them
    compare_ms: float = 0.0
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def party_preds(finds: list[Finding]) -> list[tuple[str, frozenset[str], str]]:
    out = []
    for f in finds:
        if f.kind == "party_added":
            out.append(("added", frozenset({norm_name(f.new), norm_name(f.field)}), str(f.new)))
        elif f.kind == "party_removed":
            out.append(("removed", frozenset({norm_name(f.old), norm_name(f.field)}), str(f.old)))
        elif f.kind == "party_renamed":
            out.append(("removed", frozenset({norm_name(f.old)}), str(f.old)))
            out.append(("added", frozenset({norm_name(f.new)}), str(f.new)))
    return out


def email_preds(finds: list[Finding]) -> list[tuple[str, frozenset[str], str]]:
    out = []
    for f in finds:
        if f.kind in ("contact_added", "contact_removed"):
            v = f.new if f.kind == "contact_added" else f.old
            if "@" in str(v):
                side = "added" if f.kind == "contact_added" else "removed"
                out.append((side, frozenset({norm_email(v)}), norm_email(v)))
    return out


def run_pair(old: Document, new: Document, res: PairResult) -> list[Finding]:
    """The findings; sets `res`'s CPU ms of the whole compare, of the daemon's share and of the
    word diff. `watcher compare` derives the facts of both versions; the monitor has the old
    version's facts stored and derives only the new one's, so its cost of a change is the new
    facts + the analysis (timed cold too: caches cleared after the old facts are derived).
    The hunks' word-level rendering is worked out when something shows it (a report, the
    CLI's output), not by the analysis: `words_ms` is that cost, timed on its own."""
    _clear()
    # CPU time of this process: on a shared, loaded machine wall time mostly measures the
    # neighbours (the whole compare below is wall time)
    t = time.process_time()
    analysis = compare_documents(old, new)
    res.analysis_ms = (time.process_time() - t) * 1000
    t = time.process_time()
    for h in analysis.hunks:
        len(h.words)
    res.words_ms = (time.process_time() - t) * 1000
    _clear()
    old_facts = _facts.extract_facts(old.text, old.language)
    _clear()
    t = time.process_time()
    new_facts = _facts.extract_facts(new.text, new.language)
    analyze(old.text, new.text, old_facts, new_facts, title=new.title)
    res.new_ms = (time.process_time() - t) * 1000
    return list(analysis.findings)


def _clear() -> None:
    # cold: no per-text or per-line memo left from before (facts' nor analysis')
    for stage in (_facts, _analysis):
        clear = getattr(stage, "clear_caches", None)
        if clear is not None:
            clear()


def read(path: Path, select: list[str], remove: list[str]) -> Document:
    try:
        return read_document(path, select, remove)
    except typer.Exit:
        raise RuntimeError(f"cannot read {path}") from None


def evaluate(
    res: PairResult,
    finds: list[Finding],
    *,
    date_iso: str | None,
    parties_added: list[str],
    parties_removed: list[str],
    emails_added: list[str],
    emails_removed: list[str],
) -> None:
    res.n_findings = len(finds)
    res.n_fact_findings = sum(f.kind != "text_changed" for f in finds)
    res.n_above_info = sum(f.severity != "info" for f in finds)
    res.retention_found = any(f.kind.startswith("retention_") for f in finds)

    gold_d = {("new", date_iso)} if date_iso else set()
    preds_d = []
    for f in finds:
        if f.kind in ("date_changed", "date_added"):
            v = finding_iso(f.new)
            preds_d.append(("new", frozenset({v or ""}), f"{f.field}={v}"))
        elif f.kind == "date_removed":
            preds_d.append(("new", frozenset({""}), f"{f.field} removed"))
    # several date findings naming the labelled date are one right answer
    seen: set[frozenset[str]] = set()
    preds_d = [p for p in preds_d if not (p[1] in seen or seen.add(p[1]))]
    res.dates, miss, fps = score_sets(gold_d, preds_d)
    res.notes += [f"date FN {m}" for m in miss] + [f"date FP {x}" for x in fps]

    gold_p = {("added", norm_name(n)) for n in parties_added}
    gold_p |= {("removed", norm_name(n)) for n in parties_removed}
    pp = party_preds(finds)
    res.n_party_findings = len(pp)
    res.parties, miss, fps = score_sets(gold_p, pp)
    res.notes += [f"party FN {m}" for m in miss] + [f"party FP {x}" for x in fps]

    gold_e = {("added", norm_email(e)) for e in emails_added}
    gold_e |= {("removed", norm_email(e)) for e in emails_removed}
    res.emails, miss, fps = score_sets(gold_e, email_preds(finds))
    res.notes += [f"email FN {m}" for m in miss] + [f"email FP {x}" for x in fps]
    if res.retention_gold and not res.retention_found:
        res.notes.append("retention FN (labelled change, no retention finding)")
    if res.retention_gold is False and res.retention_found:
        res.notes.append("retention FP (labelled unchanged)")


def pairs_dataset(root: Path, only: str | None) -> list[PairResult]:
    labels = json.loads((root / "labels.json").read_text(encoding="utf-8"))
    out: list[PairResult] = []
    for p in labels["pairs"]:
        where = f"{p['doc']} {p['old'][:10]}->{p['new'][:10]}"
        if only and only not in where:
            continue
        res = PairResult(where, "corpus-pairs", p.get("language") or "?", p.get("semantic_change"))
        out.append(res)
        try:
            t = time.perf_counter()
            old = read(root / p["doc"] / f"{p['old']}.md", [], [])
            new = read(root / p["doc"] / f"{p['new']}.md", [], [])
            finds = run_pair(old, new, res)
            res.compare_ms = (time.perf_counter() - t) * 1000
        except Exception as e:  # noqa: BLE001 - one broken pair must not stop the measure
            res.error = f"{type(e).__name__}: {e}"
            continue
        evaluate(
            res,
            finds,
            date_iso=p.get("new_date_iso") if p.get("date_changed") else None,
            parties_added=p.get("parties_added") or [],
            parties_removed=p.get("parties_removed") or [],
            emails_added=p.get("contact_emails_added") or [],
            emails_removed=p.get("contact_emails_removed") or [],
        )
    return out


def _selectors(decl: Any) -> tuple[list[str], list[str]] | None:
    if decl is None:
        return [], []
    if not isinstance(decl, dict):
        return None
    sel, rem = decl.get("select", []), decl.get("remove", [])
    sel = [sel] if isinstance(sel, str) else sel
    rem = [rem] if isinstance(rem, str) else rem
    if not all(isinstance(x, str) for x in [*sel, *rem]):
        return None
    return list(sel), list(rem)


def corpus_dataset(root: Path, only: str | None, use_md: bool) -> list[PairResult]:
    labels = json.loads((root / "labels.json").read_text(encoding="utf-8"))
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    docs = {d["id"]: d for d in manifest["docs"]}
    out: list[PairResult] = []

    def load(doc_id: str, stem: str, html_name: str | None = None) -> Document:
        decl = docs[doc_id].get("current_declaration")
        sels = _selectors(decl)
        html = root / doc_id / (html_name or f"{stem}.html")
        if html_name or (not use_md and decl is not None and sels is not None and html.exists()):
            sel, rem = sels if sels is not None else ([], [])
            return read(html, sel, rem)
        return read(root / doc_id / f"{stem}.md", [], [])

    for p in labels["pairs"]:
        o, n = p["old"]["file_stem"], p["new"]["file_stem"]
        where = f"{p['doc']} {o[:10]}->{n[:10]}"
        if only and only not in where:
            continue
        res = PairResult(where, "corpus", p.get("language") or "?", p.get("semantic_change"))
        res.retention_gold = bool((p.get("retention") or {}).get("changed"))
        out.append(res)
        try:
            t = time.perf_counter()
            old, new = load(p["doc"], o), load(p["doc"], n)
            finds = run_pair(old, new, res)
            res.compare_ms = (time.perf_counter() - t) * 1000
        except Exception as e:  # noqa: BLE001
            res.error = f"{type(e).__name__}: {e}"
            continue
        lu = p.get("last_updated_date") or {}
        tp, ce = p.get("third_parties") or {}, p.get("contact_emails") or {}
        evaluate(
            res,
            finds,
            date_iso=label_iso(lu.get("new")) if lu.get("changed") else None,
            parties_added=tp.get("added") or [],
            parties_removed=tp.get("removed") or [],
            emails_added=ce.get("added") or [],
            emails_removed=ce.get("removed") or [],
        )
    for npair in labels.get("noise_snapshot_pairs", []):
        where = f"{npair['doc']} noise {npair['noise_html']}"
        if only and only not in where:
            continue
        lang = docs[npair["doc"]].get("language") or "?"
        res = PairResult(where, "corpus", lang, "none", noise=True)
        out.append(res)
        stem = npair["base_html"].removesuffix(".html")
        try:
            t = time.perf_counter()
            old = load(npair["doc"], stem, npair["base_html"])
            new = load(npair["doc"], stem, npair["noise_html"])
            finds = run_pair(old, new, res)
            res.compare_ms = (time.perf_counter() - t) * 1000
        except Exception as e:  # noqa: BLE001
            res.error = f"{type(e).__name__}: {e}"
            continue
        evaluate(
            res,
            finds,
            date_iso=None,
            parties_added=[],
            parties_removed=[],
            emails_added=[],
            emails_removed=[],
        )
        res.notes += [f"noise finding: {f.kind} {f.summary}" for f in finds]
    return out


# ----------------------------------------------------------------------------- report


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def summarize(results: list[PairResult]) -> dict[str, Any]:
    ok = [r for r in results if r.error is None]
    labelled = [r for r in ok if not r.noise]
    dates, parties, emails = Count(), Count(), Count()
    for r in labelled:
        dates.add(r.dates)
        parties.add(r.parties)
        emails.add(r.emails)
    ret_labelled = [r for r in labelled if r.retention_gold is not None]
    noise = [r for r in ok if r.noise]
    nochange = [r for r in labelled if r.label_class == "none"]
    quiet = [r for r in labelled if r.label_class in ("none", "minor")]
    changed_ms = [r.analysis_ms for r in labelled if r.label_class != "none"]
    all_ms = [r.analysis_ms for r in ok]
    changed_new_ms = [r.new_ms for r in labelled if r.label_class != "none"]
    changed_words_ms = [r.words_ms for r in labelled if r.label_class != "none"]
    cmp_ms = [r.compare_ms for r in ok]
    return {
        "pairs": len(labelled),
        "errors": len(results) - len(ok),
        "date": dates.as_dict(),
        "parties": parties.as_dict(),
        "emails": emails.as_dict(),
        "retention": {
            "labelled_changed": sum(bool(r.retention_gold) for r in ret_labelled),
            "found": sum(bool(r.retention_gold) and r.retention_found for r in ret_labelled),
            "false": sum(r.retention_gold is False and r.retention_found for r in ret_labelled),
            "pairs_with_retention_finding": sum(r.retention_found for r in labelled),
        },
        "noise": {
            "pairs": len(noise),
            "findings": sum(r.n_findings for r in noise),
        },
        "no_change": {
            "pairs": len(nochange),
            "fact_findings": sum(r.n_fact_findings for r in nochange),
            "above_info": sum(r.n_above_info for r in nochange),
        },
        "quiet": {
            "pairs": len(quiet),
            "party_findings": sum(r.n_party_findings for r in quiet),
        },
        "ms": {
            "analysis_p50": _r1(_pct(all_ms, 50)),
            "analysis_p95": _r1(_pct(all_ms, 95)),
            "changed_p95": _r1(_pct(changed_ms, 95)),
            "changed_new_p95": _r1(_pct(changed_new_ms, 95)),
            "changed_words_p95": _r1(_pct(changed_words_ms, 95)),
            "compare_p95": _r1(_pct(cmp_ms, 95)),
        },
    }


def _r1(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def _fmt(x: Any) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:.2f}" if x <= 1.0 else f"{x:.0f}"
    return str(x)


def print_table(groups: dict[str, dict[str, Any]]) -> None:
    cols = list(groups)
    rows: list[tuple[str, Any]] = [
        ("pairs (errors)", lambda g: f"{g['pairs']} ({g['errors']})"),
        (
            "date P/R/F1",
            lambda g: f"{_fmt(g['date']['p'])}/{_fmt(g['date']['r'])}/{_fmt(g['date']['f1'])}",
        ),
        ("date TP/FP/FN", lambda g: f"{g['date']['tp']}/{g['date']['fp']}/{g['date']['fn']}"),
        ("parties P/R", lambda g: f"{_fmt(g['parties']['p'])}/{_fmt(g['parties']['r'])}"),
        (
            "parties TP/FP/FN",
            lambda g: f"{g['parties']['tp']}/{g['parties']['fp']}/{g['parties']['fn']}",
        ),
        ("e-mails P/R", lambda g: f"{_fmt(g['emails']['p'])}/{_fmt(g['emails']['r'])}"),
        (
            "e-mails TP/FP/FN",
            lambda g: f"{g['emails']['tp']}/{g['emails']['fp']}/{g['emails']['fn']}",
        ),
        (
            "retention found/labelled (false)",
            lambda g: (
                f"{g['retention']['found']}/{g['retention']['labelled_changed']}"
                f" ({g['retention']['false']})"
            ),
        ),
        (
            "pairs w/ retention finding",
            lambda g: str(g["retention"]["pairs_with_retention_finding"]),
        ),
        ("noise pairs: findings", lambda g: f"{g['noise']['findings']} in {g['noise']['pairs']}"),
        (
            "no-change: fact/>info findings",
            lambda g: (
                f"{g['no_change']['fact_findings']}/{g['no_change']['above_info']}"
                f" in {g['no_change']['pairs']}"
            ),
        ),
        (
            "quiet pairs: party findings",
            lambda g: f"{g['quiet']['party_findings']} in {g['quiet']['pairs']}",
        ),
        (
            "analysis CPU ms p50/p95",
            lambda g: f"{_fmt(g['ms']['analysis_p50'])}/{_fmt(g['ms']['analysis_p95'])}",
        ),
        ("changed pairs CPU ms p95", lambda g: _fmt(g["ms"]["changed_p95"])),
        ("  new facts + analysis (daemon)", lambda g: _fmt(g["ms"]["changed_new_p95"])),
        ("  word diff, when shown", lambda g: _fmt(g["ms"]["changed_words_p95"])),
        ("whole compare wall ms p95", lambda g: _fmt(g["ms"]["compare_p95"])),
    ]
    w0 = max(len(r[0]) for r in rows) + 2
    widths = [max(len(c), *(len(fn(groups[c])) for _, fn in rows)) + 2 for c in cols]
    print(f"{'':<{w0}}" + "".join(f"{c:>{w}}" for c, w in zip(cols, widths, strict=True)))
    print("-" * (w0 + sum(widths)))
    for name, fn in rows:
        cells = "".join(f"{fn(groups[c]):>{w}}" for c, w in zip(cols, widths, strict=True))
        print(f"{name:<{w0}}{cells}")


def warm_up(root: Path) -> None:
    """Pay the one-time costs before any pair is timed: compiling the patterns and deriving
    their literal prefilters (126 patterns, ~0.2-0.5 s in all, once per process: the daemon
    pays them in its first checks, never per change). A family derives a pattern's prefilter
    the first time a text gives it reason to look, so every labelled pair runs once, untimed;
    then every per-text cache is cleared and the timed pass starts cold."""
    labels = json.loads((root / "labels.json").read_text(encoding="utf-8"))
    for p in labels["pairs"]:
        d = root / p["doc"]
        try:
            compare_documents(
                read(d / f"{p['old']}.md", [], []), read(d / f"{p['new']}.md", [], [])
            )
        except Exception:  # noqa: BLE001 - the timed run reports it
            continue
    _clear()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", default=SHARED / "corpus-pairs", type=Path)
    ap.add_argument("--corpus", default=SHARED / "corpus", type=Path)
    ap.add_argument(
        "--no-warm-up", action="store_true", help="no untimed pass first (one-time costs timed too)"
    )
    ap.add_argument("--md", action="store_true", help="corpus: read the reference .md, not HTML")
    ap.add_argument("--only", help="run only the pairs whose name contains this")
    ap.add_argument("--json", action="store_true", help="print JSON")
    ap.add_argument("-v", "--verbose", action="store_true", help="list misses and FPs per pair")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    results: list[PairResult] = []
    if args.pairs and (args.pairs / "labels.json").exists() and not args.no_warm_up:
        warm_up(args.pairs)
    if args.pairs and (args.pairs / "labels.json").exists():
        results += pairs_dataset(args.pairs, args.only)
    if args.corpus and (args.corpus / "labels.json").exists():
        results += corpus_dataset(args.corpus, args.only, args.md)
    elapsed = time.perf_counter() - t0

    langs = sorted({r.language for r in results}, key=lambda x: (x != "en", x != "fr", x))
    groups = {lang: summarize([r for r in results if r.language == lang]) for lang in langs}
    for ds in ("corpus-pairs", "corpus"):
        sub = [r for r in results if r.dataset == ds]
        if sub:
            groups[ds] = summarize(sub)
    groups["all"] = summarize(results)

    if args.json:
        out = {
            "groups": groups,
            "seconds": round(elapsed, 1),
            "pairs": [
                {
                    "pair": r.where,
                    "dataset": r.dataset,
                    "language": r.language,
                    "class": r.label_class,
                    "noise": r.noise,
                    "error": r.error,
                    "findings": r.n_findings,
                    "analysis_ms": round(r.analysis_ms, 1),
                    "new_ms": round(r.new_ms, 1),
                    "words_ms": round(r.words_ms, 1),
                    "notes": r.notes if args.verbose else len(r.notes),
                }
                for r in results
            ],
        }
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return 0

    print(f"{len(results)} pairs in {elapsed:.1f}s (columns: label language, dataset, all)\n")
    print_table(groups)
    errors = [r for r in results if r.error]
    for r in errors:
        print(f"  ! {r.where}: {r.error}")
    if args.verbose:
        print()
        for r in results:
            if r.notes:
                print(f"{r.where} [{r.language}, {r.label_class}] {r.analysis_ms:.0f} ms")
                for n in r.notes:
                    print(f"    {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
