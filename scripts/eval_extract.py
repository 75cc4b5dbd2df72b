"""Measure watcher.extract against Open Terms Archive's reference Markdown.

Usage: .venv/bin/python scripts/eval_extract.py [CORPUS_DIR] [--doc SUBSTRING] [--show]

For every version of every document in the corpus manifest, extract the raw HTML twice: with the
document's OTA selectors (`current_declaration` select/remove) and without selectors (automatic
main content). Each output is compared with the reference .md (Markdown syntax and link targets
stripped) by word recall/precision (multiset) and word-sequence similarity (difflib). Prints
per-document means, overall means, timing p50/p95, and checks that every `noise/` refetch
extracts to exactly the same text as its counterpart version.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watcher.extract import extract  # noqa: E402
from watcher.models import ExtractError  # noqa: E402

DEFAULT_CORPUS = Path("/work/shared/corpus")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_REF = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$", re.M)
_WORD = re.compile(r"\w+", re.U)
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def strip_markdown(md: str) -> str:
    md = _MD_REF.sub("", md)
    md = _MD_LINK.sub(r"\1", md)
    md = re.sub(r"<[^>]+>", " ", md)
    # Ordered-list labels ("1.") stay: a browser shows them, and so does the extractor.
    md = re.sub(r"^\s*(?:#{1,6}|[-*+]|>)\s+", "", md, flags=re.M)
    md = re.sub(r"^[=\-]{3,}\s*$", "", md, flags=re.M)
    md = md.replace("\\", "")
    md = re.sub(r"[*_`|]+", " ", md)
    return md.translate(_QUOTES)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("_", " "))


def compare(ref: list[str], out: list[str]) -> tuple[float, float, float]:
    """(recall, precision, sequence similarity) of output words against reference words."""
    if not ref:
        return (1.0 if not out else 0.0, 1.0 if not out else 0.0, 1.0 if not out else 0.0)
    rc, oc = Counter(ref), Counter(out)
    common = sum((rc & oc).values())
    recall = common / len(ref)
    precision = common / len(out) if out else 0.0
    sim = SequenceMatcher(None, ref, out, autojunk=False).ratio() if out else 0.0
    return recall, precision, sim


def as_list(value) -> list[str] | None:
    """Selectors of a declaration: a string or a list of strings; None when not plain CSS."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[k]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--doc", default="", help="only documents whose id contains this")
    ap.add_argument("--show", action="store_true", help="print the worst version's words diff")
    args = ap.parse_args()
    manifest = json.loads((args.corpus / "manifest.json").read_text())

    times: list[float] = []
    all_sel: list[tuple[float, float, float]] = []
    all_auto: list[tuple[float, float, float]] = []
    noise_total = noise_same = 0
    misses: set[int] = set()  # indexes into all_sel where the OTA selector matched nothing
    errors: list[str] = []
    print(f"{'document':38} {'n':>3}  {'sel rec/prec/sim':>18}  {'auto rec/prec/sim':>18}")
    for doc in manifest["docs"]:
        if args.doc and args.doc not in doc["id"]:
            continue
        folder = args.corpus / doc["id"]
        decl = doc.get("current_declaration") or {}
        select = as_list(decl.get("select"))
        remove = as_list(decl.get("remove")) or []
        if decl.get("combine"):
            select = as_list(decl.get("select"))
            remove = as_list(decl.get("remove")) or []
        sel_scores, auto_scores = [], []
        for v in doc["versions"]:
            html = (folder / v["html_file"]).read_bytes()
            is_pdf = html.startswith(b"%PDF")
            ref = words(strip_markdown((folder / v["md_file"]).read_text(errors="replace")))
            t0 = time.perf_counter()
            try:
                auto = extract(html, content_type="text/html")
            except ExtractError as exc:
                errors.append(f"{doc['id']}/{v['file_stem']} auto: {exc}")
                continue
            if not is_pdf:
                times.append((time.perf_counter() - t0) * 1000)
            auto_scores.append(compare(ref, words(auto.text)))
            if select:
                try:
                    sel = extract(html, content_type="text/html", select=select, remove=remove)
                    sel_scores.append(compare(ref, words(sel.text)))
                except ExtractError as exc:
                    errors.append(f"{doc['id']}/{v['file_stem']} select: {exc}")
                    sel_scores.append((0.0, 0.0, 0.0))
                    misses.add(len(all_sel) + len(sel_scores) - 1)
        for pair in doc.get("noise_pairs") or []:
            base = (folder / pair["base_file"]).read_bytes()
            noisy = (folder / pair["noise_file"]).read_bytes()
            for kw in ({}, {"select": select or (), "remove": remove}):
                if kw and not select:
                    continue
                noise_total += 1
                a = extract(base, content_type="text/html", **kw).text
                b = extract(noisy, content_type="text/html", **kw).text
                if a == b:
                    noise_same += 1
                else:
                    al, bl = a.splitlines(), b.splitlines()
                    diff = [ln for ln in bl if ln not in al][:3] + [
                        "-" + ln for ln in al if ln not in bl
                    ][:3]
                    errors.append(f"{doc['id']} noise differs ({'sel' if kw else 'auto'}): {diff}")

        def fmt(scores):
            if not scores:
                return f"{'n/a':>18}"
            m = [statistics.mean(s[i] for s in scores) for i in range(3)]
            return f"{m[0]:.3f}/{m[1]:.3f}/{m[2]:.3f}"

        all_sel.extend(sel_scores)
        all_auto.extend(auto_scores)
        print(
            f"{doc['id'][:38]:38} {len(doc['versions']):>3}  {fmt(sel_scores):>18}  {fmt(auto_scores):>18}"
        )

    def mean(scores, i):
        return statistics.mean(s[i] for s in scores) if scores else 0.0

    print()
    print(
        f"with selectors   ({len(all_sel)} versions): recall {mean(all_sel, 0):.3f}  "
        f"precision {mean(all_sel, 1):.3f}  similarity {mean(all_sel, 2):.3f}"
    )
    hits = [sc for i, sc in enumerate(all_sel) if i not in misses]
    print(
        f"  where the selector matched ({len(hits)} versions): recall {mean(hits, 0):.3f}  "
        f"precision {mean(hits, 1):.3f}  similarity {mean(hits, 2):.3f}"
    )
    print(
        f"automatic        ({len(all_auto)} versions): recall {mean(all_auto, 0):.3f}  "
        f"precision {mean(all_auto, 1):.3f}  similarity {mean(all_auto, 2):.3f}"
    )
    print(f"noise refetches identical: {noise_same}/{noise_total}")
    print(f"time per HTML page (auto): p50 {pct(times, 0.5):.1f} ms  p95 {pct(times, 0.95):.1f} ms")
    for e in errors:
        print("!", e)
    return 0 if noise_same == noise_total else 1


if __name__ == "__main__":
    sys.exit(main())
