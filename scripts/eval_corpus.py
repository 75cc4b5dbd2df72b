#!/usr/bin/env python3
"""Measure fact extraction and findings on the hand-labelled development corpus.

    .venv/bin/python scripts/eval_corpus.py [--corpus /work/shared/corpus] [--md] [-v]

For every labelled consecutive pair in `labels.json`, both versions are turned into text with
`watcher.extract.extract` (the raw HTML plus the document's selectors from `manifest.json`;
`--md`, a missing extractor or a selector we cannot express falls back to the reference `.md`
beside the HTML), facts come from `watcher.facts.extract_facts` and findings from
`watcher.analysis.findings.analyze` (falling back to a plain by-key diff of the facts). The script prints
precision / recall / F1 per field and the false-positive count on noise pairs (refetches with
the same policy text) and on pairs labelled "none". Nothing from the corpus is written anywhere.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from watcher.facts import dates as _dates  # noqa: E402
from watcher.facts import parties as _parties  # noqa: E402
from watcher.models import Fact, Finding  # noqa: E402

try:
    from watcher.extract import extract as _extract_doc
except Exception:  # noqa: BLE001 - a colleague's module may be missing or broken
    _extract_doc = None
try:
    from watcher.facts import extract_facts as _extract_facts
except Exception:  # noqa: BLE001
    _extract_facts = None
try:
    from watcher.analysis.findings import analyze as _analyze
except Exception:  # noqa: BLE001
    _analyze = None


# ----------------------------------------------------------------------------- pipeline


def _selectors(decl: Any) -> tuple[list[str], list[str]] | None:
    """(select, remove) as CSS lists, or None when the declaration can't be expressed."""
    if not isinstance(decl, dict):
        return None
    sel, rem = decl.get("select", []), decl.get("remove", [])
    sel = [sel] if isinstance(sel, str) else sel
    rem = [rem] if isinstance(rem, str) else rem
    if not isinstance(sel, list) or not all(isinstance(s, str) for s in sel):
        return None
    if not isinstance(rem, list) or not all(isinstance(s, str) for s in rem):
        return None
    return sel, rem


@dataclass
class Loaded:
    text: str
    how: str  # "extract" or "md"


def load_version(
    doc_dir: Path, stem: str, decl: Any, use_md: bool, html_name: str | None = None
) -> Loaded | None:
    html = doc_dir / (html_name or f"{stem}.html")
    md = doc_dir / f"{stem}.md"
    sels = _selectors(decl)
    if not use_md and _extract_doc is not None and sels is not None and html.exists():
        try:
            d = _extract_doc(
                html.read_bytes(), content_type="text/html", select=sels[0], remove=sels[1]
            )
            return Loaded(d.text, "extract")
        except Exception as e:  # noqa: BLE001
            print(f"  ! extract failed for {html.name}: {e}", file=sys.stderr)
    if html_name is None and md.exists():
        return Loaded(md.read_text(encoding="utf-8"), "md")
    return None


def facts_of(text: str, language: str | None) -> list[Fact]:
    if _extract_facts is not None:
        return _extract_facts(text, language)
    return _dates.extract(text, language) + _parties.extract(text, language)


def findings_of(old: str, new: str, fo: list[Fact], fn: list[Fact]) -> list[Finding]:
    if _analyze is not None:
        return list(_analyze(old, new, fo, fn).findings)
    out: list[Finding] = []
    a = {(f.kind, f.key): f for f in fo}
    b = {(f.kind, f.key): f for f in fn}
    for k, f in b.items():
        if k not in a:
            out.append(Finding(f"{f.kind}_added", f.key, None, f.value, "low", ""))
        elif a[k].value != f.value and f.kind == "date":
            out.append(Finding("date_changed", f.key, a[k].value, f.value, "low", ""))
    for k, f in a.items():
        if k not in b:
            out.append(Finding(f"{f.kind}_removed", f.key, f.value, None, "low", ""))
    return out


# ----------------------------------------------------------------------------- scoring


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, gold: set, pred: set, where: str) -> None:
        self.tp += len(gold & pred)
        for x in sorted(map(str, pred - gold)):
            self.fp += 1
            self.notes.append(f"FP {where}: {x}")
        for x in sorted(map(str, gold - pred)):
            self.fn += 1
            self.notes.append(f"FN {where}: {x}")

    def prf(self) -> tuple[str, str, str]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else None
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else None
        f = 2 * p * r / (p + r) if p and r else (0.0 if p == 0 or r == 0 else None)
        if p is None and r is None:  # nothing to find, nothing found
            p = r = f = 1.0
        return tuple("  n/a" if x is None else f"{x:5.2f}" for x in (p, r, f))  # type: ignore[return-value]


def iso_of(label: str | None) -> str | None:
    """The ISO value of a labelled date string ("Last updated: August 11, 2025")."""
    if not label:
        return None
    m = _dates._DATE.search(label)
    if not m:
        return None
    parsed = _dates.parse_date(m, _dates._PageStyle(label, "en-US" if "/" in label else None))
    return parsed[0] if parsed else None


def _norm_email(s: Any) -> str:
    return str(s).strip().lower()


def _norm_region(s: Any) -> str:
    return re.sub(r"^the\s+", "", str(s).strip().lower())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default="/work/shared/corpus", type=Path)
    ap.add_argument("--md", action="store_true", help="use the reference .md, not extract.py")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every FP / FN")
    ap.add_argument(
        "--all",
        action="store_true",
        help="also list date and party changes over ALL consecutive versions (unlabelled, "
        "from the reference .md) for manual review",
    )
    args = ap.parse_args(argv)

    corpus: Path = args.corpus
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
    docs = {d["id"]: d for d in manifest["docs"]}

    print("pipeline:")
    print(f"  text     : {'watcher.extract' if _extract_doc and not args.md else 'reference .md'}")
    print(f"  facts    : {'watcher.facts.extract_facts' if _extract_facts else 'dates+parties'}")
    print(f"  findings : {'watcher.analysis.findings.analyze' if _analyze else 'fact diff by key'}")

    s_date, s_date_value = Score(), Score()
    s_party, s_ret, s_region, s_email = Score(), Score(), Score(), Score()
    noise_rows: list[tuple[str, int, int, list[str]]] = []
    t0 = time.perf_counter()
    rows = []
    for pair in labels["pairs"]:
        doc = docs[pair["doc"]]
        ddir = corpus / pair["doc"]
        lang = doc.get("language")
        old = load_version(ddir, pair["old"]["file_stem"], doc.get("current_declaration"), args.md)
        new = load_version(ddir, pair["new"]["file_stem"], doc.get("current_declaration"), args.md)
        if old is None or new is None:
            print(f"  ! cannot load {pair['doc']}", file=sys.stderr)
            continue
        fo, fn = facts_of(old.text, lang), facts_of(new.text, lang)
        finds = findings_of(old.text, new.text, fo, fn)
        where = f"{pair['doc']} {pair['old']['file_stem'][:10]}->{pair['new']['file_stem'][:10]}"

        # dates: the extracted value of each version vs. the label, and the change finding
        lu = pair["last_updated_date"]
        for side, fs in (("old", fo), ("new", fn)):
            gold = iso_of(lu.get(side))
            got = {f.value for f in fs if f.kind == "date"}
            s_date_value.add({gold} if gold else set(), got if gold else set(), f"{where} {side}")
        gold_change = {("date", iso_of(lu["new"]))} if lu.get("changed") else set()
        pred_change = {
            ("date", f.new) for f in finds if f.kind in ("date_changed", "date_added") and f.new
        } | {("date", None) for f in finds if f.kind == "date_removed"}
        s_date.add(gold_change, pred_change, where)

        tp = pair.get("third_parties") or {}
        gold_p = {("added", _parties.normalize_name(n)) for n in tp.get("added", [])} | {
            ("removed", _parties.normalize_name(n)) for n in tp.get("removed", [])
        }
        pred_p = {
            ("added" if f.kind == "party_added" else "removed", f.field)
            for f in finds
            if f.kind in ("party_added", "party_removed")
        }
        s_party.add(gold_p, pred_p, where)

        ret = pair.get("retention") or {}
        s_ret.add(
            {"changed"} if ret.get("changed") else set(),
            {"changed"} if any(f.kind.startswith("retention_") for f in finds) else set(),
            where,
        )

        tr = pair.get("transfer_regions") or {}
        gold_r = {("added", _norm_region(x)) for x in tr.get("added", [])} | {
            ("removed", _norm_region(x)) for x in tr.get("removed", [])
        }
        pred_r = {
            ("added" if f.kind.endswith("_added") else "removed", _norm_region(f.new or f.old))
            for f in finds
            if f.kind in ("location_added", "location_removed")
        }
        s_region.add(gold_r, pred_r, where)

        ce = pair.get("contact_emails") or {}
        gold_e = {("added", _norm_email(x)) for x in ce.get("added", [])} | {
            ("removed", _norm_email(x)) for x in ce.get("removed", [])
        }
        pred_e = {
            ("added" if f.kind == "contact_added" else "removed", _norm_email(f.new or f.old))
            for f in finds
            if f.kind in ("contact_added", "contact_removed") and "@" in str(f.new or f.old)
        }
        s_email.add(gold_e, pred_e, where)

        if pair.get("semantic_change") == "none":
            fact_f = [f for f in finds if f.kind != "text_changed"]
            text_f = [f for f in finds if f.kind == "text_changed"]
            noise_rows.append(
                (f"{where} (label none)", len(fact_f), len(text_f), [f.summary for f in fact_f])
            )
        rows.append((where, old.how, len(fo), len(fn), len(finds)))

    for npair in labels.get("noise_snapshot_pairs", []):
        doc = docs[npair["doc"]]
        ddir = corpus / npair["doc"]
        stem = npair["base_html"].removesuffix(".html")
        base = load_version(ddir, stem, doc.get("current_declaration"), False, npair["base_html"])
        noisy = load_version(ddir, stem, doc.get("current_declaration"), False, npair["noise_html"])
        where = f"{npair['doc']} noise {npair['noise_html']}"
        if base is None or noisy is None:
            noise_rows.append((where + " (not run: needs watcher.extract)", -1, -1, []))
            continue
        lang = doc.get("language")
        finds = findings_of(
            base.text, noisy.text, facts_of(base.text, lang), facts_of(noisy.text, lang)
        )
        fact_f = [f for f in finds if f.kind != "text_changed"]
        text_f = [f for f in finds if f.kind == "text_changed"]
        noise_rows.append((where, len(fact_f), len(text_f), [f.summary for f in fact_f]))
    elapsed = time.perf_counter() - t0

    print(f"\n{len(rows)} labelled pairs, {len(noise_rows)} no-change pairs, {elapsed:.1f}s")
    if args.verbose:
        for where, how, nfo, nfn, nf in rows:
            print(f"  {where:<62} text={how:<7} facts {nfo:>3}/{nfn:<3} findings {nf}")

    print(f"\n{'field':<34}{'TP':>4}{'FP':>4}{'FN':>4}   {'P':>5} {'R':>5} {'F1':>5}")
    print("-" * 66)
    for name, sc in (
        ("date value per version (ISO)", s_date_value),
        ("date change (correct new date)", s_date),
        ("party added/removed", s_party),
        ("retention changed", s_ret),
        ("transfer regions added/removed", s_region),
        ("contact e-mails added/removed", s_email),
    ):
        p, r, f = sc.prf()
        print(f"{name:<34}{sc.tp:>4}{sc.fp:>4}{sc.fn:>4}   {p} {r} {f}")
    print("-" * 66)
    total_fp = sum(max(n, 0) for _, n, _, _ in noise_rows)
    print(f"\nnoise false positives (fact findings on no-change pairs): {total_fp}")
    for where, n, nt, summaries in noise_rows:
        state = "skipped" if n < 0 else f"{n} fact finding(s), {nt} text finding(s)"
        print(f"  {where:<70} {state}")
        for s in summaries[:8]:
            print(f"      - {s}")
    if args.verbose:
        print()
        for name, sc in (
            ("date value", s_date_value),
            ("date change", s_date),
            ("party", s_party),
            ("retention", s_ret),
            ("regions", s_region),
            ("emails", s_email),
        ):
            for n in sc.notes:
                print(f"  [{name}] {n}")
    if args.all:
        review_all(corpus, docs)
    return 0


def review_all(corpus: Path, docs: dict[str, Any]) -> None:
    """Date and party changes between every pair of consecutive reference .md versions."""
    print("\nunlabelled review: date / party changes between consecutive .md versions")
    for doc_id, doc in sorted(docs.items()):
        mds = sorted((corpus / doc_id).glob("*.md"))
        prev: tuple[str, list[Fact]] | None = None
        for md in mds:
            text = md.read_text(encoding="utf-8")
            lang = doc.get("language")
            facts = _dates.extract(text, lang) + _parties.extract(text, lang)
            if prev is not None:
                a = {(f.kind, f.key): f for f in prev[1]}
                b = {(f.kind, f.key): f for f in facts}
                for k in sorted(b.keys() - a.keys()):
                    print(f"  {doc_id} {md.stem[:10]} + {k[0]} {b[k].value} {b[k].detail}")
                for k in sorted(a.keys() - b.keys()):
                    print(f"  {doc_id} {md.stem[:10]} - {k[0]} {a[k].value}")
                for k in sorted(a.keys() & b.keys()):
                    if k[0] == "date" and a[k].value != b[k].value:
                        print(f"  {doc_id} {md.stem[:10]} ~ date {a[k].value} -> {b[k].value}")
            prev = (md.stem, facts)


if __name__ == "__main__":
    raise SystemExit(main())
