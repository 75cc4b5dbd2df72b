"""Findings a reader can trust (issue 11 points 2, 4, 5; issue 15 point 5), driven through
`watcher compare OLD NEW --json` on real text."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from watcher.cli import app

POLICY = """# Privacy Policy

## Data retention

We keep your data only as long as needed. The periods below apply.

| Data | Retention period |
| --- | --- |
| Account data | 5 years |
| Support tickets | 2 years |

- Server logs: 1 year
- Payment records: 10 years

## International transfers

We transfer data to 3 partners outside the EEA under Standard Contractual Clauses.

## Who we share data with

| Processor | Purpose | Country |
| --- | --- | --- |
| Amazon Web Services | Hosting | Ireland |

## Contact

Write to <privacy@example.com> with any question.
"""


def compare(tmp_path: Path, old: str, new: str) -> dict:
    a, b = tmp_path / "old.md", tmp_path / "new.md"
    a.write_text(old, encoding="utf-8")
    b.write_text(new, encoding="utf-8")
    r = CliRunner().invoke(app, ["compare", str(a), str(b), "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def by_kind(data: dict, kind: str) -> list[dict]:
    return [f for f in data["findings"] if f["kind"] == kind]


def test_retention_table_cell_and_list_item_changes(tmp_path):
    new = POLICY.replace("| Account data | 5 years |", "| Account data | 7 years |").replace(
        "Server logs: 1 year", "Server logs: 3 years"
    )
    data = compare(tmp_path, POLICY, new)
    ret = {f["detail"]["item"]: f for f in by_kind(data, "retention_changed")}
    assert set(ret) == {"Account data", "Server logs"}
    acc = ret["Account data"]
    assert (acc["detail"]["old"], acc["detail"]["new"]) == ("5 years", "7 years")
    assert acc["detail"]["lengthened"] is True
    assert acc["severity"] == "high"
    assert acc["detail"]["section"] == "Data retention"
    assert ret["Server logs"]["detail"]["old"] == "1 year"
    assert data["classification"] == "substantive"
    shorter = compare(tmp_path, new, POLICY)
    f = next(
        f for f in by_kind(shorter, "retention_changed") if f["detail"]["item"] == "Account data"
    )
    assert f["detail"]["lengthened"] is False and f["severity"] == "low"


def test_unclassified_change_is_never_below_low(tmp_path):
    data = compare(tmp_path, POLICY, POLICY.replace("to 3 partners", "to 5 partners"))
    assert data["changed"] and data["classification"] != "cosmetic"
    assert data["findings"], data
    assert all(f["severity"] != "info" for f in data["findings"])
    tc = by_kind(data, "text_changed")[0]
    assert tc["detail"]["section"] == "International transfers"
    # the evidence is the changed sentence, not the changed word alone ("Before '3' After '5'")
    assert "3 partners outside the EEA" in tc["evidence"]["old"]
    assert "5 partners outside the EEA" in tc["evidence"]["new"]
    # a layout-only edit stays info
    cosmetic = compare(tmp_path, POLICY, POLICY.replace("## Contact", "### Contact"))
    assert cosmetic["classification"] == "cosmetic"
    assert {f["severity"] for f in cosmetic["findings"]} == {"info"}


def test_processor_row_is_one_finding_with_its_location(tmp_path):
    new = POLICY.replace(
        "| Amazon Web Services | Hosting | Ireland |",
        "| Amazon Web Services | Hosting | Ireland |\n| SendGrid | Email delivery | United States |",
    )
    data = compare(tmp_path, POLICY, new)
    parties = by_kind(data, "party_added")
    assert [p["new"] for p in parties] == ["SendGrid"]
    assert parties[0]["detail"]["location"] == "United States"
    assert parties[0]["detail"]["section"] == "Who we share data with"
    assert not by_kind(data, "location_added")
    # no internal keys in the reader's text
    for f in data["findings"]:
        assert "(none)" not in f["summary"] and "sendgrid:" not in f["summary"]


def test_email_ends_at_the_element_boundary(tmp_path):
    old = "<html><body><main><h1>Privacy</h1><p>Questions?</p></main></body></html>"
    new = (
        "<html><body><main><h1>Privacy</h1><p>Questions? Write to "
        "<a href='mailto:privacy@example.com'>privacy@example.com</a>or call us.</p>"
        "</main></body></html>"
    )
    a, b = tmp_path / "old.html", tmp_path / "new.html"
    a.write_text(old)
    b.write_text(new)
    r = CliRunner().invoke(app, ["compare", str(a), str(b), "--json"])
    data = json.loads(r.output)
    assert [f["new"] for f in by_kind(data, "contact_added")] == ["privacy@example.com"]


def test_a_law_is_not_a_destination(tmp_path):
    new = POLICY.replace(
        "## Contact",
        "We process personal data in accordance with the Singapore Personal Data Protection "
        "Act and the California Consumer Privacy Act.\n\n## Contact",
    )
    data = compare(tmp_path, POLICY, new)
    assert not by_kind(data, "location_added"), data["findings"]


def test_renamed_numbered_section_is_one_finding(tmp_path):
    old = POLICY.replace("## Who we share data with", "## 4. Sharing")
    new = POLICY.replace("## Who we share data with", "## 4. Who we share your data with")
    new = new.replace(
        "| Amazon Web Services | Hosting | Ireland |",
        "| Amazon Web Services | Hosting | Ireland |\n\nAuditors may see data when the law requires it.",
    )
    data = compare(tmp_path, old, new)
    ren = by_kind(data, "section_renamed")
    assert len(ren) == 1 and ren[0]["old"] == "4. Sharing"
    assert not by_kind(data, "section_added") and not by_kind(data, "section_removed")


def test_twenty_thousand_new_headings_stay_readable(tmp_path):
    new = POLICY + "".join(f"\n## Extra heading {i}\n" for i in range(20000))
    data = compare(tmp_path, POLICY, new)
    fs = data["findings"]
    assert len(fs) <= 50
    more = by_kind(data, "findings_summarised")
    assert len(more) == 1
    listed = len(by_kind(data, "section_added"))
    assert listed + more[0]["detail"]["by_kind"]["section_added"] == 20000
    assert more[0]["detail"]["count"] == more[0]["new"]


def test_rename_found_in_a_long_outline_of_replaced_headings(tmp_path):
    old = "".join(
        f"\n## Topic {i}\n\nWe describe processing activity number {i} here.\n" for i in range(2000)
    )
    new = "".join(
        f"\n## Subject {i}\n\nCompletely different words for item {i} now.\n" for i in range(2000)
    )
    old += "\n## Sharing\n\nWe share data with our hosting provider and payment processor only.\n"
    new += "\n## Who receives your data\n\nWe share data with our hosting provider and payment processor only.\n"
    data = compare(tmp_path, old, new)
    assert len(data["findings"]) <= 50
    more = by_kind(data, "findings_summarised")[0]["detail"]["by_kind"]
    listed = {f["kind"] for f in data["findings"]}
    renamed = more.get("section_renamed", 0) + (1 if "section_renamed" in listed else 0)
    assert renamed == 1


def test_reports_show_the_section_and_no_internal_keys(tmp_path):
    from datetime import UTC, datetime

    from watcher.analysis.findings import analyze
    from watcher.facts import extract_facts
    from watcher.models import VersionInfo
    from watcher.render import change_html, change_text

    new = POLICY.replace("| Account data | 5 years |", "| Account data | 7 years |")
    a = analyze(POLICY, new, extract_facts(POLICY), extract_facts(new))
    f = next(f for f in a.findings if f.kind == "retention_changed")
    assert f.field.startswith("retention:")  # the key stays in the JSON, for machines
    old_v = VersionInfo(1, datetime(2024, 1, 2, tzinfo=UTC), "live", "a" * 64, 100)
    new_v = VersionInfo(2, datetime(2024, 2, 3, tzinfo=UTC), "live", "b" * 64, 100)
    text = change_text("acme", "https://acme.example/privacy", a, old_v, new_v)
    assert 'in section: "Data retention"' in text
    assert "retention:" not in text and "text: " not in text
    html = change_html("acme", "https://acme.example/privacy", a, old_v, new_v)
    assert "In section &ldquo;Data retention&rdquo;" in html
    assert "retention:" not in html
