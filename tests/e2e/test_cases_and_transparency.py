"""Closing cases (with a reason, by their officer or a supervisor) and the transparency report
(supervisors and auditors) in a real browser."""

from __future__ import annotations

from playwright.sync_api import expect

from .conftest import OpenAs, Shot, Site, csrf_of, post_form, submit


def test_an_officer_closes_her_case_with_a_reason_and_no_one_else_can(
    site: Site, open_as: OpenAs, shot: Shot
) -> None:
    olga = open_as("olga")
    olga.goto("/cases")
    row = olga.locator('tr[data-case="C-olga"]')
    expect(row.locator("td").nth(4)).to_have_text("camera door-1; any time")  # the scope
    expect(olga.locator('tr[data-case="C-oleg"]')).to_have_count(0)  # not hers

    response = post_form(
        olga, "/cases/close", {"reference": "C-olga", "reason": " ", "csrf_token": csrf_of(olga)}
    )
    assert response.status == 422
    expect(olga.locator(".error")).to_contain_text("closing case C-olga needs a reason")

    row.locator("input[name=reason]").fill("suspect arrested")
    assert submit(olga, 'tr[data-case="C-olga"] form.close-case').status == 200
    expect(olga.locator(".message")).to_have_text(
        "case C-olga closed: its watchlists no longer match"
    )
    expect(row.locator(".state")).to_have_text("closed")
    expect(row).to_contain_text("by olga")
    expect(row.locator("form.close-case")).to_have_count(0)
    shot(olga, "cases-closed")

    oleg = open_as("oleg")
    oleg.goto("/cases")
    response = post_form(
        oleg, "/cases/close", {"reference": "C-olga", "reason": "x", "csrf_token": csrf_of(oleg)}
    )
    assert response.status == 404  # another officer's case is as if it did not exist
    expect(oleg.locator(".error")).to_contain_text("C-olga")

    rita = open_as("rita")
    rita.goto("/cases")
    expect(rita.locator('tr[data-case="C-oleg"]')).to_be_visible()
    expect(rita.locator("form.close-case")).to_have_count(0)  # reviewers close nothing

    sam = open_as("sam")
    sam.goto("/cases")
    token = csrf_of(sam)  # the page will have no form left once both cases are closed
    sam.locator('tr[data-case="C-oleg"] input[name=reason]').fill("warrant withdrawn")
    submit(sam, 'tr[data-case="C-oleg"] form.close-case')
    expect(sam.locator('tr[data-case="C-oleg"] .state')).to_have_text("closed")
    response = post_form(
        sam, "/cases/close", {"reference": "C-oleg", "reason": "again", "csrf_token": token}
    )
    assert response.status in (403, 409)
    expect(sam.locator(".error")).to_contain_text("already closed")


def test_a_supervisor_reads_the_transparency_report_as_a_table_and_bars(
    site: Site, open_as: OpenAs, shot: Shot
) -> None:
    sam = open_as("sam")
    expect(sam.locator("nav a")).to_have_text(
        ["Alerts", "Cases", "Watchlists", "Cameras", "Map", "Transparency"]
    )
    sam.goto("/transparency")

    activity = sam.locator("table.activity")
    expect(activity.locator('tr[data-row="Cases requested"] td.number')).to_have_text("2")
    expect(activity.locator('tr[data-row="Cases approved"] td.number')).to_have_text("2")
    expect(activity.locator('tr[data-row="Alerts raised"] td.number')).to_have_text("1")
    wanted = sam.locator('table.categories tr[data-category="wanted"] td')
    expect(wanted).to_have_text(["wanted", "2", "2", "", "2", "2", "2"])  # "": the bar
    requested = activity.locator('tr[data-row="Cases requested"] svg.bar rect.fill')
    expect(requested).to_have_attribute("width", "100.0")  # the largest count: a full bar
    raised = activity.locator('tr[data-row="Alerts raised"] svg.bar rect.fill')
    expect(raised).to_have_attribute("width", "50.0")
    searches = activity.locator('tr[data-row="Footage searches"] svg.bar rect.fill')
    expect(searches).to_have_attribute("width", "0.0")
    shot(sam, "transparency")

    sam.fill("input[name=from]", "2026-03-10")
    sam.fill("input[name=to]", "2026-03-01")
    sam.click("form.period button[type=submit]")
    expect(sam.locator(".error")).to_contain_text("is not after")


def test_an_auditor_may_read_the_report_and_an_officer_may_not(site: Site, open_as: OpenAs) -> None:
    audrey = open_as("audrey")
    audrey.goto("/transparency?from=2020-01-01&to=2020-01-31")
    expect(audrey.locator("#period")).to_contain_text("2020-01-01 to 2020-01-31 · 31 days")
    expect(audrey.locator('tr[data-row="Cases requested"] td.number')).to_have_text("0")
    wanted = audrey.locator('table.categories tr[data-category="wanted"] td')
    expect(wanted.nth(1)).to_have_text("0")  # requested
    expect(wanted.nth(2)).to_have_text("0")  # active at the end of January 2020
    expect(wanted.locator("rect.fill")).to_have_attribute("width", "0.0")

    olga = open_as("olga")
    response = olga.goto("/transparency")
    assert response is not None and response.status == 403
    expect(olga.locator(".error")).to_contain_text("olga may not report.transparency")
