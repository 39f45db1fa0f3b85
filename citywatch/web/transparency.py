"""The transparency report (supervisors and auditors): counts for a period as tables whose rows
carry their bars, drawn server-side as inline SVG (no script: the page's CSP allows none inline,
and the numbers need none; no inline style either, so the bars' lengths are SVG attributes).
The report holds no names, faces, cameras or case references."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from citywatch.errors import CitywatchError, InputError
from citywatch.types import CASE_CATEGORIES, TransparencyReport
from citywatch.web.rendering import error_page, render, status_of
from citywatch.web.session import SignedIn, to_login

router = APIRouter()
DEFAULT_DAYS = 30


@dataclass(frozen=True, slots=True)
class Bar:
    """One row of a table with its bar: `share_pct` of the widest bar (the largest value)."""

    label: str
    value: int
    share_pct: float


def bars(values: list[tuple[str, int]]) -> list[Bar]:
    largest = max((value for _, value in values), default=0)
    return [
        Bar(label, value, round(100 * value / largest, 1) if largest else 0.0)
        for label, value in values
    ]


def activity(report: TransparencyReport) -> list[tuple[str, int]]:
    return [
        ("Cases requested", sum(report.cases_created.values())),
        ("Cases approved", report.cases_approved),
        ("Cases closed", report.cases_closed),
        ("Photos enrolled", report.enrolments),
        ("Footage searches", report.searches),
        ("Alerts raised", report.alerts),
        ("Review confirmations", report.confirmations),
        ("Alerts confirmed", report.alerts_confirmed),
        ("Alerts rejected", report.alerts_rejected),
        ("Alerts deleted (retention)", report.retention_deleted_alerts),
        ("Actions refused", report.refusals),
        ("Failed logins", report.failed_logins),
    ]


@dataclass(frozen=True, slots=True)
class CategoryRow:
    category: str
    created: int
    active: int
    watchlists: int
    people: int
    photos: int


def by_category(report: TransparencyReport) -> list[CategoryRow]:
    """One row per category: every known one (a zero is a finding too), then any other."""
    seen = set(report.cases_created) | set(report.cases_active_at_end)
    seen |= {key.rsplit(".", 1)[0] for key in report.watchlists}
    order = list(CASE_CATEGORIES) + sorted(seen - set(CASE_CATEGORIES))
    held = report.watchlists
    return [
        CategoryRow(
            category=category,
            created=report.cases_created.get(category, 0),
            active=report.cases_active_at_end.get(category, 0),
            watchlists=held.get(f"{category}.watchlists", 0),
            people=held.get(f"{category}.people", 0),
            photos=held.get(f"{category}.photos", 0),
        )
        for category in order
    ]


def day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{field} {text.strip()!r} is not a date; expected YYYY-MM-DD") from None


@router.get("/transparency")
def transparency(
    request: Request,
    session: SignedIn,
    starts: Annotated[str, Query(alias="from")] = "",
    ends: Annotated[str, Query(alias="to")] = "",
) -> Response:
    if session is None:
        return to_login(request)
    services, user = session.services, session.user
    today = services.now().date()
    form = {
        "from": starts or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
        "to": ends or today.isoformat(),
    }
    try:
        first, last = day(form["from"], "from"), day(form["to"], "to")
        starts_at = datetime.combine(first, time(), UTC)
        ends_at = datetime.combine(last, time(), UTC) + timedelta(days=1)  # the whole last day
        report = services.transparency(starts_at, ends_at)
    except CitywatchError as error:
        if not isinstance(error, InputError):
            return error_page(request, error, user=user, csrf=session.csrf)
        return render(
            request,
            "transparency.html",
            user,
            session.csrf,
            status_of(error),
            form=form,
            report=None,
            error=str(error),
        )
    categories = by_category(report)
    return render(
        request,
        "transparency.html",
        user,
        session.csrf,
        form=form,
        report=report,
        days=(last - first).days + 1,
        activity=bars(activity(report)),
        categories=list(
            zip(categories, bars([(row.category, row.active) for row in categories]), strict=True)
        ),
    )
