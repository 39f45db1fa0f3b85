"""Watchlists and their people in a real browser: an officer creates a list in her active case and
uploads several photos of a person at once, each enrolled (face size, quality) or rejected with
its reason; other officers' lists do not exist for her, and roles without faces see none."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from .conftest import OpenAs, Shot, Site, csrf_of, post_form, shared_file, submit


def test_an_officer_creates_a_watchlist_in_her_active_case(
    site: Site, open_as: OpenAs, shot: Shot
) -> None:
    olga = open_as("olga")
    expect(olga.locator("nav a")).to_have_text(["Alerts", "Cases", "Watchlists", "Cameras", "Map"])
    olga.goto("/watchlists")
    row = olga.locator('tr[data-watchlist="list-olga"] td')
    cells = ["list-olga #c92a2a", "normal", "C-olga active", "0.400", "1", "1"]
    for column, text in enumerate(cells):
        expect(row.nth(column)).to_have_text(text)
    expect(row.nth(0).locator("svg.swatch rect")).to_have_attribute("fill", "#c92a2a")
    expect(olga.locator('tr[data-watchlist="list-oleg"]')).to_have_count(0)
    expect(olga.locator("select[name=case] option")).to_have_text(["C-olga (wanted)"])

    olga.fill("input[name=name]", "olga-north")
    olga.fill("input[name=min_similarity]", "high")
    assert submit(olga, "form.grid").status == 422
    expect(olga.locator(".error")).to_contain_text("minimum similarity 'high' is not a number")
    expect(olga.locator("input[name=name]")).to_have_value("olga-north")
    olga.fill("input[name=min_similarity]", "0.45")
    olga.fill("input[name=colour]", "blue")
    olga.select_option("select[name=priority]", "urgent")
    assert submit(olga, "form.grid").status == 422
    expect(olga.locator(".error")).to_contain_text("colour 'blue' is not usable; expected #rrggbb")
    olga.fill("input[name=colour]", "#1971C2")
    assert submit(olga, "form.grid").status == 200
    expect(olga.locator(".message")).to_have_text("watchlist olga-north created in case C-olga")
    new_row = olga.locator('tr[data-watchlist="olga-north"] td')
    expect(new_row.nth(0).locator("svg.swatch rect")).to_have_attribute("fill", "#1971c2")
    expect(new_row.nth(1)).to_have_text("urgent")
    expect(new_row.nth(3)).to_have_text("0.450")
    expect(new_row.nth(4)).to_have_text("0")
    shot(olga, "watchlists")

    response = post_form(
        olga,
        "/watchlists",
        {"name": "in-olegs-case", "case": "C-oleg", "csrf_token": csrf_of(olga)},
    )
    assert response.status == 404  # another officer's case is as if it did not exist
    expect(olga.locator(".error")).to_contain_text("C-oleg")


def test_several_photos_are_uploaded_at_once_and_each_says_what_became_of_it(
    site: Site, open_as: OpenAs, shot: Shot, tmp_path: Path
) -> None:
    first = shared_file("faces/people/paul_rudd/1.jpg")
    second = shared_file("faces/people/kate_siegel/1.jpg")
    group = shared_file("faces/group-6-faces.jpg")
    fake = tmp_path / "scan.jpg"
    fake.write_bytes(b"%PDF-1.7 not a photo at all")
    olga = open_as("olga")
    olga.goto("/watchlists")
    olga.locator('tr[data-watchlist="list-olga"] a').click()
    expect(olga).to_have_url(f"{site.url}/watchlists/list-olga")
    expect(olga.locator('tr[data-person="Person of olga"] td').nth(1)).to_have_text("1")

    olga.fill("input[name=person]", "Jane Roe")
    olga.set_input_files("input[name=photos]", [str(first), str(group), str(fake), str(second)])
    assert submit(olga, "form.grid").status == 200

    expect(olga.locator(".message")).to_have_text("2 of 4 photos of Jane Roe enrolled on list-olga")
    results = olga.locator("table.results tbody tr")
    expect(results.locator(".outcome")).to_have_text(
        ["enrolled", "rejected", "rejected", "enrolled"]
    )
    enrolled = olga.locator('table.results tr[data-photo="1.jpg"]').first.locator("td")
    expect(enrolled.nth(2)).to_have_text(re.compile(r"^\d+ px$"))
    quality = float(enrolled.nth(3).inner_text())
    assert 0 < quality <= 1
    expect(olga.locator('tr[data-photo="group-6-faces.jpg"] .reason')).to_contain_text("faces")
    expect(olga.locator('tr[data-photo="scan.jpg"] .reason')).to_contain_text("PDF")
    expect(olga.locator('tr[data-person="Jane Roe"] td').nth(1)).to_have_text("2")
    shot(olga, "watchlist-upload")

    olga.fill("input[name=person]", "Jane Roe")
    olga.set_input_files("input[name=photos]", [str(first)])
    assert submit(olga, "form.grid").status == 422
    expect(olga.locator(".error")).to_contain_text("0 of 1 photos of Jane Roe enrolled")
    expect(olga.locator("table.results .reason")).to_contain_text("already enrolled for Jane Roe")
    expect(olga.locator('tr[data-person="Jane Roe"] td').nth(1)).to_have_text("2")

    olga.fill("input[name=person]", "Group Person")
    olga.set_input_files("input[name=photos]", [str(group)])
    olga.check("input[name=take_largest]")
    assert submit(olga, "form.grid").status == 200
    expect(olga.locator("table.results .outcome")).to_have_text(["enrolled"])


def test_other_officers_and_roles_without_faces_never_see_a_list(
    site: Site, open_as: OpenAs, shot: Shot
) -> None:
    oleg = open_as("oleg")
    response = oleg.goto("/watchlists/list-olga")
    assert response is not None and response.status == 404
    expect(oleg.locator(".error")).to_contain_text("no watchlist named 'list-olga'")
    expect(oleg.locator(".error")).not_to_contain_text("list-olga,")  # nor its existence
    oleg.goto("/watchlists")
    response = post_form(
        oleg,
        "/watchlists/photos",
        {"watchlist": "list-olga", "person": "X", "csrf_token": csrf_of(oleg)},
    )
    assert response.status in (404, 422)
    expect(oleg.locator(".error")).not_to_contain_text("Person of olga")

    sam = open_as("sam")
    sam.goto("/watchlists/list-olga")
    expect(sam.locator('tr[data-person="Person of olga"]')).to_be_visible()
    expect(sam.locator("input[name=photos]")).to_have_count(0)  # supervisors enrol no one
    sam.goto("/watchlists")
    expect(sam.locator("tr[data-watchlist]")).to_have_count(2)
    expect(sam.locator("form.grid")).to_have_count(0)
    shot(sam, "watchlists-supervisor")

    for name in ("rita", "audrey", "ada"):
        page = open_as(name)
        expect(page.locator("nav a", has_text="Watchlists")).to_have_count(0)
        response = page.goto("/watchlists/list-olga")
        assert response is not None and response.status == 403, name
        expect(page.locator(".error")).to_contain_text(f"{name} may not watchlist.view")
