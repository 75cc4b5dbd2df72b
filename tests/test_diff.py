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
