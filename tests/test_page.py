"""The search page in headless Chromium (Debian's chromium, driven by Playwright) against
`rune serve` on 127.0.0.1: type a question, see results with boxes, run SPARQL, take a
screenshot."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = (
    os.environ.get("RUNE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Chromium (Debian: apt-get install chromium)"
)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


def test_type_a_question_and_see_boxes(browser, live_server, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(live_server)
    page.fill("#q", "a ship near a harbor")
    page.press("#q", "Enter")
    page.wait_for_selector(".card")
    assert "ship(a) & harbor(b) & near(a, b)" in page.text_content("#status")
    cards = page.locator(".card")
    assert cards.count() >= 3
    drawn = page.locator(".card img")
    drawn.first.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.card img')].every(i => i.complete && "
        "i.naturalWidth > 0)"
    )
    assert drawn.count() >= 1
    assert "a: ship" in cards.first.text_content() or "b: harbor" in cards.first.text_content()
    page.click("#logic summary")
    assert "SELECT ?image" in page.text_content("#clauses")
    shot = Path(os.environ.get("RUNE_SCREENSHOTS", tmp_path)) / "search.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000
    assert not errors


def test_a_question_it_cannot_read_says_which_words(browser, live_server):
    page = browser.new_page()
    page.goto(live_server)
    page.fill("#q", "a spaceship next to a harbor")
    page.press("#q", "Enter")
    page.wait_for_selector("#error:not([hidden])")
    assert "spaceship" in page.text_content("#error")
    page.click("#error .suggestions a")  # a nearby question it understands, asked in one click
    page.wait_for_selector(".card")
    assert page.input_value("#q") == "a harbor" and "harbor(a)" in page.text_content("#status")


def test_the_sparql_editor_shows_a_table(browser, live_server):
    page = browser.new_page()
    page.goto(live_server)
    page.click("#run-sparql")
    page.wait_for_selector("#sparql-results table")
    header = page.locator("#sparql-results th").all_text_contents()
    assert header == ["class", "entities"]
    assert page.locator("#sparql-results tr").count() > 5
    page.fill("#sparql", "SELECT ?x WHERE { ?x ")
    page.click("#run-sparql")
    page.wait_for_function(
        "() => document.querySelector('#sparql-status').textContent.startsWith('error 400')"
    )
