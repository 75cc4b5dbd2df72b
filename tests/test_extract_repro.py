"""Issue 12 points 2-3: the pages of ../shared/repro/extraction extract as a browser shows them.

The small pages are copied under tests/fixtures/extract/repro (with their README) so the suite
is self-contained; there is one test per page (or per old/new pair).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from watcher.extract import extract
from watcher.models import ExtractError

REPRO = Path(__file__).parent / "fixtures" / "extract" / "repro"


def text_of(name: str, **kw) -> str:
    return extract((REPRO / name).read_bytes(), content_type="text/html", **kw).text


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ")]


def test_every_repro_page_has_a_test():
    tested = {
        "noscript-unclosed-div.html",
        "noscript-unclosed-iframe.html",
        "template-unclosed-div.html",
        "nul-byte-in-html.html",
        "ordered-list-numbers.html",
        "ota-select-empty.html",
        "table-flip-heading-new.html",
        "table-flip-heading-old.html",
        "table-flip-new.html",
        "table-flip-old.html",
        "table-heading-in-cell.html",
        "table-long-cell.html",
        "table-stray-cells.html",
    }
    assert {p.name for p in REPRO.glob("*.html")} == tested


@pytest.mark.parametrize("name", ["noscript-unclosed-div.html", "noscript-unclosed-iframe.html"])
@pytest.mark.parametrize("select", [(), ("body",)])
def test_unclosed_tag_in_noscript_does_not_swallow_the_page(name, select):
    text = text_of(name, select=select)
    assert text.splitlines() == [
        "# Privacy Policy",
        "We collect your e-mail address and share it with SendGrid.",
        "We keep logs for 30 days.",
    ]


@pytest.mark.parametrize("select", [(), ("body",)])
def test_unclosed_tag_in_template_does_not_swallow_the_page(select):
    text = text_of("template-unclosed-div.html", select=select)
    assert text.splitlines() == ["# Privacy Policy", "We share your e-mail address with SendGrid."]


def test_noscript_and_template_content_stays_hidden_and_nesting_counts():
    page = (
        b"<body><main><h1>Policy</h1><noscript><p>Enable JavaScript</p></noscript>"
        b"<template><template><div>inner</template><p>still template</p></template>"
        b"<script>var s = '<noscript>';</script><p>We keep logs.</p>"
        b"<!-- <template> --><p>After a comment.</p></main></body>"
    )
    text = extract(page, content_type="text/html").text
    assert text.splitlines() == ["# Policy", "We keep logs.", "After a comment."]


def test_nul_bytes_are_dropped_not_binary():
    text = text_of("nul-byte-in-html.html")
    assert "We share your e-mail address with SendGrid." in text
    assert "We keep logs for 30 days." in text
    assert "\x00" not in text
    # Real binary data labelled text/html is still refused.
    with pytest.raises(ExtractError, match="binary content"):
        extract(bytes(range(256)) * 64, content_type="text/html")


def test_ordered_list_labels_are_kept():
    lines = text_of("ordered-list-numbers.html").splitlines()
    assert lines[2:] == [
        "1. Providing the service",
        "2. Security",
        "3. Marketing",
        "4. Analytics",
        "a. first sub-purpose",
        "b. second sub-purpose",
    ]


def test_ordered_list_value_reversed_roman_and_bullets():
    page = (
        b"<main><ol reversed><li>three</li><li>two<ol type='I' start='3'><li>x</li>"
        b"<li value='9'>y</li></ol></li><li>one</li></ol>"
        b"<ol style='list-style: none'><li>plain</li></ol><ul><li>dot</li></ul></main>"
    )
    assert extract(page, content_type="text/html").text.splitlines() == [
        "3. three",
        "2. two",
        "  III. x",
        "  IX. y",
        "1. one",
        "- plain",
        "- dot",
    ]


def test_empty_selection_is_a_clear_error():
    with pytest.raises(ExtractError, match=r"select '#empty' matched 1 element with no text"):
        text_of("ota-select-empty.html", select=("#empty",))
    with pytest.raises(ExtractError, match="'#whitespaceOnly'"):
        text_of("ota-select-empty.html", select=("#whitespaceOnly",))
    assert "link 1" in text_of("ota-select-empty.html", select=("#link1",))


def test_long_cell_keeps_the_table():
    rows = table_rows(text_of("table-long-cell.html"))
    assert len(rows) == 4
    assert rows[0] == "| Purpose | Data | Legal basis |"
    assert rows[2].startswith("| Fraud prevention | IP address, device ID | We rely on")
    assert rows[2].count(" | ") == 2
    assert rows[3] == "| Marketing | E-mail | Consent |"


def test_heading_in_cell_keeps_the_table():
    text = text_of("table-heading-in-cell.html")
    assert table_rows(text) == [
        "| Purpose | Legal basis |",
        "| Account creation To open your account. | Contract |",
        "| Marketing To send you offers. | Consent |",
    ]
    assert "####" not in text


def test_stray_cells_and_text_in_tables_are_kept():
    lines = text_of("table-stray-cells.html").splitlines()
    # As in a browser: cells outside a <tr> make a row, text in a <tr> shows before the table.
    assert lines == [
        "# Retention",
        "Note: backups are kept for one year",
        "| Data | Kept for |",
        "| Logs | 30 days |",
        "| Invoices | 10 years |",
    ]


def test_layout_tables_render_as_blocks_and_data_tables_with_lists_stay_tables():
    for table in (
        "<table role='presentation'><tr><td><h2>Menu</h2><ul><li>Home</li></ul></td>"
        "<td><h1>Privacy</h1><p>We keep logs.</p></td></tr></table>",
        "<table><tr><td><table><tr><td>Home</td></tr></table></td>"
        "<td><h1>Privacy</h1><p>We keep logs.</p></td></tr></table>",
    ):
        lines = extract(f"<main>{table}</main>".encode(), content_type="text/html").text
        assert "# Privacy" in lines.splitlines() and "We keep logs." in lines.splitlines()
        assert table_rows(lines) == []
    # A data table without header cells whose cells hold lists (purposes / data / basis).
    page = (
        b"<main><table><tr><td>Purpose</td><td>Data</td></tr>"
        b"<tr><td>Security</td><td><ul><li>IP address</li><li>Device ID</li></ul></td></tr>"
        b"</table></main>"
    )
    assert table_rows(extract(page, content_type="text/html").text) == [
        "| Purpose | Data |",
        "| Security | IP address; Device ID |",
    ]


def compare(old: str, new: str) -> dict:
    p = subprocess.run(
        [sys.executable, "-m", "watcher", "compare", str(REPRO / old), str(REPRO / new), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_four_words_added_to_a_cell_is_four_words_not_a_lost_table():
    old, new = text_of("table-flip-old.html"), text_of("table-flip-new.html")
    assert len(table_rows(old)) == len(table_rows(new)) == 4
    result = compare("table-flip-old.html", "table-flip-new.html")
    assert (result["words_added"], result["words_removed"]) == (4, 0)
    assert [f["kind"] for f in result["findings"]] == ["text_changed"]


def test_heading_put_in_a_cell_is_not_a_change():
    old, new = text_of("table-flip-heading-old.html"), text_of("table-flip-heading-new.html")
    assert table_rows(old) == table_rows(new)
    assert table_rows(new)[0] == "| Purpose | Data | Legal basis |"
    result = compare("table-flip-heading-old.html", "table-flip-heading-new.html")
    assert result["findings"] == []
    assert result["classification"] in ("none", "cosmetic")


def test_text_nested_deeper_than_the_parser_limit_is_kept():
    page = b"<main><h1>T</h1>" + b"<div>" * 3000 + b"deep text" + b"</div>" * 3000 + b"</main>"
    assert extract(page, content_type="text/html").text.splitlines() == ["# T", "deep text"]
