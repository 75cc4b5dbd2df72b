from __future__ import annotations

from watcher.analysis.diff import hunks, layout_key, normalize_line


def test_identical_and_noise_only_have_no_hunks():
    t = "# Title\n\nWe use \u2018cookies\u2019 \u2014 see **below**.\n"
    assert hunks(t, t) == []
    assert hunks(t, "# Title\n\n\n We use  'cookies' - see below\n") == []


def test_replace_hunk_with_word_detail():
    old = "# Policy\nWe keep data for 30 days.\nContact us.\n"
    new = "# Policy\nWe keep data for 90 days.\nContact us.\n"
    (h,) = hunks(old, new)
    assert h.tag == "replace" and h.old_start == 2 and h.new_start == 2
    assert h.old_lines == ["We keep data for 30 days."] and h.new_lines == [
        "We keep data for 90 days."
    ]
    assert ("-", "30") in h.words and ("+", "90") in h.words
    assert "".join(t for op, t in h.words if op != "+") == "We keep data for 30 days."


def test_insert_and_delete():
    old = "a line\nb line\n"
    new = "a line\nnew line\nb line\n"
    (h,) = hunks(old, new)
    assert h.tag == "insert" and h.new_lines == ["new line"] and h.old_lines == []
    (d,) = hunks(new, old)
    assert d.tag == "delete" and d.old_lines == ["new line"]


def test_normalize_line_and_layout_key():
    assert (
        normalize_line("[Privacy](https://x.example/a) \u201cpolicy\u201d.") == 'Privacy "policy"'
    )
    assert layout_key("## Cookies\n- We use cookies") == layout_key(
        "### Cookies\n* We use\ncookies"
    )


def test_large_documents_one_hunk():
    old = "\n".join(f"Paragraph {i} says something about data number {i}." for i in range(3000))
    new = old.replace("Paragraph 1500 says", "Paragraph 1500 now says")
    hs = hunks(old, new)  # its speed: scripts/bench_units.py
    assert (
        len(hs) == 1
        and ("+", "now ") in hs[0].words
        or any("now" in t for op, t in hs[0].words if op == "+")
    )


def test_fast_matcher_matches_difflib():
    import random
    from difflib import SequenceMatcher

    from watcher.analysis.diff import _Matcher

    rnd = random.Random(7)
    for _ in range(3000):
        pop = rnd.random()
        n = rnd.randint(1, 5)

        def seq(k, pop=pop, n=n):
            return [" " if rnd.random() < pop else rnd.choice("abcde"[:n]) for _ in range(k)]

        a = seq(rnd.randint(0, 50))
        b = seq(rnd.randint(0, 50))
        if rnd.random() < 0.5:
            b = a[: rnd.randint(0, len(a))] + seq(rnd.randint(0, 8)) + a[rnd.randint(0, len(a)) :]
        want = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        assert _Matcher(None, a, b, autojunk=False).get_opcodes() == want, (a, b)


def test_layout_only_reads_the_changed_span_as_layout_key_reads_the_texts():
    from watcher.analysis.diff import LineDiff

    cases = [
        ("## Cookies\n- We use cookies\nEnd.", "### Cookies\n* We use\ncookies\nEnd."),
        ("Intro\nWe use cookies\nEnd", "Intro\nWe use tracking cookies\nEnd"),
        # words moving across an unchanged line: equal keys, no hunk equal on its own
        ("a\nb b b\nc\n", "a\nb\nb b c\n"),
        ("x\n\n1. first\n\ny\n", "x\n- first\ny\n"),
        ("same\n", "same\n\n  \n"),
        ("tail words\n", "tail\nwords\nmore\n"),
    ]
    for old, new in cases:
        assert LineDiff(old, new).layout_only() == (layout_key(old) == layout_key(new)), (old, new)
    assert LineDiff(*cases[2]).layout_only() and not LineDiff(*cases[1]).layout_only()


def test_clear_caches_forgets_the_per_line_memos():
    from watcher import analysis
    from watcher.analysis import diff

    hunks("We keep data for 30 days.\n", "We keep data for 90 days.\n")
    assert diff.normalize_line.cache_info().currsize and diff._words.cache_info().currsize
    analysis.clear_caches()
    assert diff.normalize_line.cache_info().currsize == 0 == diff._words.cache_info().currsize


def test_seeded_longest_match_matches_difflib():
    import random
    from difflib import SequenceMatcher

    from watcher.analysis.diff import _Matcher

    class Small(_Matcher):  # seeds on every range, so that short sequences exercise them
        _SEED_STEP = 2
        _SEED_W = 2
        _SEED_MIN = 0

    rnd = random.Random(11)
    for _ in range(3000):
        n = rnd.randint(1, 4)
        a = [rnd.choice("abcd"[:n]) for _ in range(rnd.randint(0, 60))]
        b = [rnd.choice("abcd"[:n]) for _ in range(rnd.randint(0, 60))]
        if rnd.random() < 0.7:  # long shared runs, moved or repeated
            k = rnd.randint(0, len(a))
            b = b[: rnd.randint(0, len(b))] + a[k : k + rnd.randint(0, 30)] + b + a[:k]
        want = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        assert Small(None, a, b, autojunk=False).get_opcodes() == want, (a, b)
    # the default seeds, on long token lists
    words = [
        "we",
        "use",
        "your",
        "data",
        "to",
        "the",
        "and",
        "of",
        "for",
        "cookies",
        "share",
        "keep",
    ]
    for _ in range(40):
        a = [rnd.choice(words) for _ in range(rnd.randint(100, 400))]
        b = list(a)
        for _ in range(rnd.randint(1, 12)):
            i = rnd.randrange(len(b))
            b[i : i + rnd.randint(0, 5)] = [rnd.choice(words) for _ in range(rnd.randint(0, 5))]
        want = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        assert _Matcher(None, a, b, autojunk=False).get_opcodes() == want


def _reference_hunks(old: str, new: str) -> list:
    """hunks() the plain way: every line normalized, the common head and tail trimmed, then
    difflib on the lines left."""
    from difflib import SequenceMatcher

    from watcher.analysis.diff import _words
    from watcher.models import Hunk

    sides = []
    for text in (old, new):
        raw = text.splitlines()
        idx = [i for i, ln in enumerate(raw) if normalize_line(ln)]
        sides.append((raw, idx, [normalize_line(raw[i]) for i in idx]))
    (a_raw, a_idx, a), (b_raw, b_idx, b) = sides
    lo = 0  # the common head and tail are trimmed first
    while lo < min(len(a), len(b)) and a[lo] == b[lo]:
        lo += 1
    hi_a, hi_b = len(a), len(b)
    while hi_a > lo and hi_b > lo and a[hi_a - 1] == b[hi_b - 1]:
        hi_a, hi_b = hi_a - 1, hi_b - 1
    out = []
    sm = SequenceMatcher(None, a[lo:hi_a], b[lo:hi_b], autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        i1, i2, j1, j2 = i1 + lo, i2 + lo, j1 + lo, j2 + lo
        ol = [a_raw[a_idx[k]] for k in range(i1, i2)]
        nl = [b_raw[b_idx[k]] for k in range(j1, j2)]
        if tag == "replace" and len(ol) == len(nl) > 1:
            words = []
            for k, (x, y) in enumerate(zip(ol, nl, strict=True)):
                words += ([("=", "\n")] if k else []) + list(_words(x.strip(), y.strip()))
        else:
            words = list(_words("\n".join(x.strip() for x in ol), "\n".join(y.strip() for y in nl)))
        old_start = (a_idx[i1] if i1 < len(a_idx) else len(a_raw)) + 1
        new_start = (b_idx[j1] if j1 < len(b_idx) else len(b_raw)) + 1
        out.append(Hunk(tag, old_start, ol, new_start, nl, words))
    return out


def test_hunks_trim_raw_edges_as_the_plain_diff_does():
    import random

    rnd = random.Random(3)
    pool = ["Intro.", "We keep data.", "We  keep data", "", "  ", "**", "- item", "Contact us;"]
    for _ in range(3000):
        old = [rnd.choice(pool) for _ in range(rnd.randint(0, 8))]
        new = list(old)
        for _ in range(rnd.randint(1, 3)):
            i = rnd.randint(0, len(new))
            op = rnd.random()
            if op < 0.3:
                new.insert(i, rnd.choice(pool + new[i : i + 1]))
            elif op < 0.6 and new:
                del new[min(i, len(new) - 1)]
            elif new:
                new[min(i, len(new) - 1)] = rnd.choice(pool)
        a, b = "\n".join(old), "\n".join(new)
        assert hunks(a, b) == _reference_hunks(a, b), (old, new)


def test_word_diff_is_worked_out_when_read():
    """The analysis pays for the word-level rendering only when it reads it (to tell a
    spelling fix when no other fact changed): a hunk's words are worked out the first time
    something reads them (a report, the CLI), and are then those of an eager diff."""
    from watcher.analysis import clear_caches, diff
    from watcher.analysis.findings import analyze
    from watcher.facts import extract_facts

    old = "# Retention\nWe keep logs for 1 year.\nWe keep mail for 2 years.\n\nEnd.\n"
    new = "# Retention\nWe keep logs for 3 years.\nWe keep mail for 5 years.\n\nEnd.\n"
    fo, fn = extract_facts(old, "en"), extract_facts(new, "en")
    clear_caches()
    a = analyze(old, new, fo, fn)
    assert a.changed and len(a.hunks) == 1
    assert any(f.kind == "retention_changed" for f in a.findings)
    assert diff._words.cache_info().misses == 0  # no word diff worked out by the analysis
    words = a.hunks[0].words
    assert diff._words.cache_info().misses == 0  # nor by handing the hunk over
    assert len(words) > 0 and diff._words.cache_info().misses == 2  # line by line, once each
    eager = [
        *diff._words("We keep logs for 1 year.", "We keep logs for 3 years."),
        ("=", "\n"),
        *diff._words("We keep mail for 2 years.", "We keep mail for 5 years."),
    ]
    assert list(words) == eager and words == eager and words[-1] == eager[-1]
    assert ("-", "1 year") in words or ("+", "3") in words
    assert a.to_dict()["hunks"][0]["words"] == [list(w) for w in eager]
    len(words)
    assert diff._words.cache_info().misses == 2  # worked out once
