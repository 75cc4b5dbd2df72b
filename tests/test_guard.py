"""guard: challenge / error / login / empty pages are flagged; real policies are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.extract import extract
from watcher.guard import shrank_too_much, suspicious_reason
from watcher.models import Document

FIX = Path(__file__).parent / "fixtures" / "extract"

POLICY_PARAGRAPH = (
    "We collect your name, e-mail address and payment details when you create an account. "
    "We use this information to provide the service, to prevent fraud and to meet our legal "
    "obligations. We keep account data for as long as your account is open and for six years "
    "afterwards where the law requires it. "
)


def page(title: str, body: str) -> Document:
    raw = f"<html><head><title>{title}</title></head><body>{body}</body></html>".encode()
    return extract(raw, content_type="text/html")


@pytest.mark.parametrize(
    ("title", "body", "expect"),
    [
        (
            "Just a moment...",
            "<h1>example.com</h1><p>Checking if the site connection is secure</p>"
            "<p>example.com needs to review the security of your connection before proceeding.</p>",
            "Cloudflare",
        ),
        (
            "Attention Required! | Cloudflare",
            "<h1>Sorry, you have been blocked</h1><p>Cloudflare Ray ID: 7d2b1c3a4e5f6a7b</p>",
            "Cloudflare",
        ),
        ("Please wait", "<p>Checking your browser before accessing example.com.</p>", "Cloudflare"),
        ("", "<p>Request unsuccessful. Incapsula incident ID: 1234-5678</p>", "Incapsula"),
        (
            "example.com",
            "<p>Press &amp; Hold to confirm you are a human (and not a bot).</p>",
            "PerimeterX",
        ),
        (
            "example.com",
            "<p>Please enable JS and disable any ad blocker</p><div>DataDome</div>",
            "DataDome",
        ),
        (
            "Access Denied",
            "<h1>Access Denied</h1><p>You don't have permission to access this server.</p>",
            "access denied",
        ),
        ("Security check", "<p>Please complete the hCaptcha below to continue.</p>", "captcha"),
        ("example.com", "<p>Verify you are human by completing the action below.</p>", "human"),
    ],
)
def test_bot_challenges_are_flagged(title, body, expect):
    reason = suspicious_reason(page(title, body))
    assert reason is not None
    assert reason.startswith("bot challenge")
    assert expect.lower() in reason.lower()


@pytest.mark.parametrize(
    "title",
    ["404 Not Found", "Page not found | Example", "Error", "503 Service Unavailable", "Oops!"],
)
def test_error_titles_on_a_200_are_flagged(title):
    body = "<p>" + "Try our home page or search for what you were looking for. " * 5 + "</p>"
    reason = suspicious_reason(page(title, body))
    assert reason and reason.startswith("error page")


def test_soft_404_text_is_flagged():
    doc = page("Example Inc.", "<h1>Sorry</h1><p>The page you requested could not be found.</p>")
    assert suspicious_reason(doc).startswith("error page")


def test_login_wall_is_flagged():
    doc = page("Example", "<h1>Welcome back</h1><p>Sign in to continue to Example.</p><p>Email</p>")
    assert suspicious_reason(doc) == "login wall"


def test_empty_and_near_empty():
    assert suspicious_reason(Document(text="")) == "empty text"
    assert suspicious_reason(Document(text="Privacy policy\nLoading...")) == (
        "near-empty text (3 words)"
    )


def test_http_error_status():
    long_doc = Document(text=POLICY_PARAGRAPH * 20, title="Privacy Policy")
    assert suspicious_reason(long_doc, status=503) == "HTTP status 503"


def test_real_long_policy_mentioning_captcha_access_cookies_is_not_suspicious():
    body = (
        "<main><h1>Privacy Policy</h1>"
        + f"<p>{POLICY_PARAGRAPH}</p>" * 6
        + "<h2>Security</h2><p>We use reCAPTCHA and hCaptcha to protect our sign-up form from "
        "bots; Google's privacy policy applies. Access denied events and your IP address are "
        "logged. If a page is not found we log the URL. You may need to sign in to continue "
        "using some features. Cookies are described in our cookie policy.</p>"
        + f"<p>{POLICY_PARAGRAPH}</p>" * 4
        + "</main>"
    )
    doc = page("Privacy Policy | Example", body)
    assert doc.words > 400
    assert suspicious_reason(doc) is None


def test_real_fixture_policy_is_not_suspicious():
    doc = extract((FIX / "semantic.html").read_bytes(), content_type="text/html")
    assert suspicious_reason(doc) is None
    doc = extract((FIX / "legacy.html").read_bytes(), content_type="text/html")
    assert suspicious_reason(doc) is None


def test_short_policy_with_ordinary_title_is_not_suspicious():
    text = (
        "We do not collect personal data. Our server keeps access logs with IP addresses for "
        "seven days to protect against abuse, then deletes them. Contact privacy@example.org "
        "with any question about this notice."
    )
    assert suspicious_reason(Document(text=text, title="Privacy")) is None


def test_shrank_too_much():
    old = "word " * 1000
    assert shrank_too_much(old, "word " * 299)
    assert not shrank_too_much(old, "word " * 301)
    assert not shrank_too_much(old, old)
    assert not shrank_too_much("", "anything")
    assert shrank_too_much(old, "")
    assert shrank_too_much(old, "word " * 600, ratio=0.3)


def test_different_page_is_told_from_a_rewrite() -> None:
    from watcher.guard import different_page, vocabulary_overlap

    policy = (
        "We collect personal data such as your name and e-mail address. We keep it for 30 days. "
        "You have the right to access, rectify and erase your personal data. Contact our data "
        "protection officer. We share data with processors such as SendGrid."
    )
    rewrite = (
        "This policy explains how we process your personal information. Information we collect: "
        "name, e-mail address, payment details. Your rights: access, erasure, objection. Our "
        "data protection officer answers questions. Retention: 12 months."
    )
    home = (
        "Ingen data lämnar Sverige. Vi främjar AI-suveränitet för innovation och tillväxt i "
        "Europa. Boka en demo idag och kom igång med våra modeller."
    )
    assert not different_page(policy, rewrite)
    assert different_page(policy, home)
    assert vocabulary_overlap(policy, policy) == 1.0
