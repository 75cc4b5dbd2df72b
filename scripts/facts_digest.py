"""Digest of every fact and finding over the development corpora, for speed work.

    python scripts/facts_digest.py [--out FILE] [--shared ../shared]

Runs what `watcher compare` runs on every labelled pair of ../shared/corpus-pairs/ and on
every consecutive pair of ../shared/corpus/ Markdown versions, prints one sha256 per fact
family and one for the findings, and (with --out) writes every fact and finding as JSON lines
so two runs can be diffed. An optimisation that keeps the output must keep every digest.

It also checks that the per-text and per-unit memos cannot leak between versions: the facts
of each new version extracted cold (caches cleared) must equal its facts extracted right after
the old version, and right after an unrelated text; any difference is printed and the exit
status is 1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watcher import analysis as AN  # noqa: E402
from watcher import facts as F  # noqa: E402
from watcher.analysis import findings as A  # noqa: E402
from watcher.cli.tools import read_document  # noqa: E402
from watcher.models import Document  # noqa: E402


def pairs(shared: Path) -> list[tuple[str, Path, Path]]:
    out = []
    root = shared / "corpus-pairs"
    for p in json.loads((root / "labels.json").read_text(encoding="utf-8"))["pairs"]:
        d = root / p["doc"]
        out.append((f"{p['doc']} {p['old']}", d / f"{p['old']}.md", d / f"{p['new']}.md"))
    croot = shared / "corpus"
    for d in sorted(x for x in croot.iterdir() if x.is_dir()):
        mds = sorted(d.glob("*.md"))
        for a, b in zip(mds, mds[1:], strict=False):
            out.append((f"{d.name} {a.stem}", a, b))
    return out


def dump_facts(facts: list) -> list[str]:
    return [json.dumps(f.to_dict(), sort_keys=True, ensure_ascii=False) for f in facts]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--no-leak-check", action="store_true")
    args = ap.parse_args(argv)
    digests: dict[str, hashlib._Hash] = {}
    lines: list[str] = []
    bad = 0
    unrelated: Document | None = None
    for where, po, pn in pairs(args.shared):
        old, new = read_document(po, [], []), read_document(pn, [], [])
        F.clear_caches()
        AN.clear_caches()
        fo = F.extract_facts(old.text, old.language)
        fn = F.extract_facts(new.text, new.language)
        an = A.analyze(old.text, new.text, fo, fn, title=new.title)
        for side, facts in (("old", fo), ("new", fn)):
            for f in facts:
                fam = F.comparer(f.kind)
                name = fam.__name__.rsplit(".", 1)[-1] if fam else "?"
                s = json.dumps(f.to_dict(), sort_keys=True, ensure_ascii=False)
                digests.setdefault(name, hashlib.sha256()).update(s.encode())
                lines.append(f"{where} {side} {s}")
        for f in an.findings:
            s = json.dumps(f.to_dict(), sort_keys=True, ensure_ascii=False)
            digests.setdefault("findings", hashlib.sha256()).update(s.encode())
            lines.append(f"{where} finding {s}")
        if not args.no_leak_check:
            want = dump_facts(fn)
            F.clear_caches()
            cold = dump_facts(F.extract_facts(new.text, new.language))
            checks = [("cold", cold)]
            if unrelated is not None:
                F.clear_caches()
                F.extract_facts(unrelated.text, unrelated.language)
                checks.append(
                    ("after unrelated", dump_facts(F.extract_facts(new.text, new.language)))
                )
            for label, got in checks:
                if got != want:
                    bad += 1
                    print(f"LEAK {where}: facts {label} differ from facts after the old version")
                    for x in sorted(set(got) ^ set(want))[:6]:
                        print("   ", ("+" if x in got else "-"), x[:300])
        unrelated = old
    for name in sorted(digests):
        print(f"{name:12s} {digests[name].hexdigest()[:16]}")
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} lines; {bad} leak(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
