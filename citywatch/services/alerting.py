"""Alerts as people see them: listed (each view audited) and reviewed by two distinct people."""

from __future__ import annotations

from urllib.parse import urlsplit

from citywatch.alerts.review import review_alert
from citywatch.cases.policy import may
from citywatch.errors import InputError, NotFoundError
from citywatch.services.base import ServiceBase
from citywatch.storage.cases import unknown_case
from citywatch.types import ALERT_STATUSES, Alert, AlertEvent, Case, Review, Webhook


class AlertServices(ServiceBase):
    def alerts(self, status: str | None = None, limit: int = 100) -> list[Alert]:
        """Alerts of the cases the acting user may see, newest first; the view is audited."""
        if status is not None and status not in ALERT_STATUSES:
            raise InputError(
                f"alert status {status!r} is unknown; expected one of {', '.join(ALERT_STATUSES)}"
            )
        user = self.require("alert.view")
        found = self.store.alerts(status, limit, self.visible_case_ids(user))
        with self.audited(
            "alert.view",
            "alerts",
            status=status,
            count=len(found),
            alert_ids=",".join(str(a.id) for a in found),
        ):
            pass
        return found

    def alert(self, alert_id: int) -> tuple[Alert, list[Review]]:
        """One alert with its reviews (a view, audited)."""
        alert, case = self._alert_and_case(alert_id)
        self.require_on("alert.view", case, "alert.view", f"no alert with id {alert_id}")
        with self.audited("alert.view", f"alert:{alert_id}", case.id):
            pass
        return alert, self.store.reviews.reviews(alert_id)

    def review(
        self, alert_id: int, decision: str, note: str = "", not_this_person: bool = False
    ) -> Alert:
        """Confirm or reject an alert. Two distinct eligible reviewers confirm before anyone
        acts; a rejection may keep the sighting as a "not this person" example."""
        alert, case = self._alert_and_case(alert_id)
        missing = f"no alert with id {alert_id}"
        reviewer = self.require_on("alert.review", case, "alert.view", missing)
        if not_this_person and decision != "reject":
            raise InputError("not-this-person goes with a rejection: it records a false match")
        status, review = review_alert(
            alert_id,
            alert.status,
            self.store.reviews.reviews(alert_id),
            reviewer,
            case,
            decision,
            note.strip(),
            self.now(),
        )
        with self.audited(
            "alert.review",
            f"alert:{alert_id}",
            case.id,
            decision=decision,
            note=review.note,
            status=status,
            not_this_person=not_this_person,
        ):
            self.store.reviews.add(review, reviewer, status)
            self.store.outbox.publish(alert_id, case.id, "reviewed")
            if not_this_person:
                self.store.reviews.add_not_this_person(alert_id, self.settings.embedder)
        return self.store.alert(alert_id)

    def alert_events(
        self, after_id: int, case_ids: list[int] | None, limit: int = 100
    ) -> list[tuple[AlertEvent, Alert]]:
        """Events after `after_id` of the given cases (from `visible_case_ids`) with their
        alerts as they are now, oldest first; showing them is an audited view."""
        found = []
        for event in self.store.outbox.events_after(after_id, case_ids, limit):
            try:
                found.append((event, self.store.alert(event.alert_id)))
            except NotFoundError:
                continue  # deleted by retention since: nothing left to show
        if found:
            with self.audited(
                "alert.view",
                "alert stream",
                alert_ids=",".join(sorted({str(alert.id) for _, alert in found})),
            ):
                pass
        return found

    # -- webhooks -------------------------------------------------------------------------------
    def add_webhook(self, url: str, case_reference: str) -> tuple[Webhook, str]:
        """Subscribe `url` to the alert events of an active case of yours; returns the webhook
        and its signing secret, shown this once."""
        case = self.store.cases.get(case_reference)
        self.require_on("webhook.manage", case, "case.view", unknown_case(case_reference))
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(
                f"webhook URL {url!r} is not usable; expected http:// or https:// with a host"
            )
        if parts.username or parts.password:
            raise InputError("a webhook URL must not carry credentials; the events are signed")
        with self.audited("webhook.add", f"webhook:{parts.hostname}", case.id, url=url.strip()):
            return self.store.outbox.add_webhook(url.strip(), case.id, self.user().name)

    def webhooks(self) -> list[Webhook]:
        """Webhooks of the cases the acting officer may manage."""
        user, now = self.user(), self.now()
        cases = {c.id: c for c in self.store.cases.all()}
        return [
            hook
            for hook in self.store.outbox.webhooks()
            if hook.case_id in cases
            and may(user, "case.view", cases[hook.case_id], now)
            and user.has("officer")
        ]

    def _alert_and_case(self, alert_id: int) -> tuple[Alert, Case]:
        self.user()
        alert = self.store.alert(alert_id)
        if alert.case_id is None:
            raise NotFoundError(f"no alert with id {alert_id} belongs to a case")
        return alert, self.store.cases.by_id(alert.case_id)
