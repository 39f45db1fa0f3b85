"""Oversight: verifying and exporting the audit log, signed checkpoints, the transparency report
and the retention job."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from citywatch.audit.checkpoints import load_signing_key, public_key_hex, read_checkpoint_file
from citywatch.errors import ConflictError, InputError
from citywatch.services.base import ServiceBase
from citywatch.storage.retention import delete_due
from citywatch.types import AuditEvent, ChainReport, Checkpoint, RetentionReport, TransparencyReport

AUDIT_KEY = Path("keys") / "audit-ed25519.key"


class OversightServices(ServiceBase):
    # -- audit log -------------------------------------------------------------------------------
    def verify_audit(self, checkpoint_file: Path | None = None) -> ChainReport:
        """Check the whole chain against the stored checkpoints and, if given, one kept
        elsewhere (which also reveals records cut off the end). Checkpoints must be signed by
        this installation's key: one signed by any other key counts as forged."""
        self.require("audit.verify")
        exported = [read_checkpoint_file(checkpoint_file)] if checkpoint_file else []
        key_file = self.settings.home / AUDIT_KEY
        trusted = (
            [public_key_hex(load_signing_key(key_file, create=False))] if key_file.exists() else []
        )
        report = self.store.audit.verify(exported, trusted)
        with self.audited(
            "audit.verify",
            "audit_log",
            ok=report.ok,
            records=report.records,
            first_bad_sequence=report.first_bad_sequence,
            external_checkpoint=checkpoint_file is not None,
        ):
            pass
        return report

    def export_audit(self, after: int = 0) -> Iterator[AuditEvent]:
        """Every record after sequence `after`; the export itself is recorded first."""
        self.require("audit.export")
        with self.audited("audit.export", "audit_log", after=after):
            pass
        return self.store.audit.events(after)

    def checkpoint_audit(self) -> Checkpoint:
        """Verify the log, then sign (sequence, head hash) with the key outside the database and
        store it; export it to keep it where the database's owner cannot reach. A log that does
        not verify is not signed (AuditError)."""
        self.require("audit.checkpoint")
        key = load_signing_key(self.settings.home / AUDIT_KEY)
        with self.audited("audit.checkpoint", "audit_log") as entry:
            checkpoint = self.store.audit.sign_head(key, self.now())
            if checkpoint is None:
                raise ConflictError("the audit log is empty: nothing to sign")
            entry.details.update(sequence=checkpoint.sequence, head_hash=checkpoint.head_hash)
        return checkpoint

    # -- transparency ---------------------------------------------------------------------------
    def transparency(self, starts_at: datetime, ends_at: datetime) -> TransparencyReport:
        self.require("report.transparency")
        if ends_at <= starts_at:
            raise InputError(
                f"the period's end {ends_at:%Y-%m-%d} is not after its start "
                f"{starts_at:%Y-%m-%d}; expected a period that ends after it starts"
            )
        actions: Counter[str] = Counter()
        created: Counter[str] = Counter()
        confirmations = confirmed = rejected = deleted = 0
        # What was held at the end of a past period is rebuilt from the log, not read from the
        # tables (which hold what is there now): lists created, photos enrolled and their
        # people, up to the end, less the people of cases a retention run had deleted by then.
        lists_by_case: Counter[int] = Counter()
        photos_by_case: Counter[int] = Counter()
        people_by_case: dict[int, set[object]] = {}
        retention_runs: list[datetime] = []
        for event in self.store.audit.events():
            if event.at < ends_at and event.case_id is not None:
                if event.action == "watchlist.create":
                    lists_by_case[event.case_id] += 1
                elif event.action == "person.enroll":
                    photos_by_case[event.case_id] += 1
                    people = people_by_case.setdefault(event.case_id, set())
                    people.add(event.details.get("person_id"))
            if event.action == "retention.run" and event.at < ends_at:
                retention_runs.append(event.at)
            if not starts_at <= event.at < ends_at:
                continue
            actions[event.action] += 1
            details = event.details
            if event.action == "case.create":
                created[str(details.get("category"))] += 1
            elif event.action == "alert.review":
                confirmations += details.get("decision") == "confirm"
                confirmed += details.get("status") == "confirmed"
                rejected += details.get("status") == "rejected"
            elif event.action == "retention.run":
                deleted += int(details.get("alerts") or 0)
        active: Counter[str] = Counter()
        held: Counter[str] = Counter()
        # A period that has not ended yet holds what the tables hold now (exact); an earlier one
        # is rebuilt from the log as above.
        current = ends_at >= self.now()
        lists_now = self.store.watchlists() if current else []
        for case in self.store.cases.all():
            # Active at the period's end as it was then, not as it is now.
            approved = case.approved_at is not None and case.approved_at <= ends_at
            open_then = case.closed_at is None or case.closed_at > ends_at
            if approved and open_then and ends_at < case.expires_at:
                active[case.category] += 1
            if current:
                for listed in (w for w in lists_now if w.case_id == case.id):
                    held[f"{case.category}.watchlists"] += 1
                    held[f"{case.category}.people"] += listed.people
                    held[f"{case.category}.photos"] += listed.photos
                continue
            if not lists_by_case[case.id]:
                continue
            held[f"{case.category}.watchlists"] += lists_by_case[case.id]
            due_at = (case.closed_at or case.expires_at) + timedelta(days=case.retention_days)
            # Its people and photos count unless a retention run had deleted them by then.
            kept = not any(run >= due_at for run in retention_runs)
            held[f"{case.category}.people"] += len(people_by_case.get(case.id, ())) if kept else 0
            held[f"{case.category}.photos"] += photos_by_case[case.id] if kept else 0
        report = TransparencyReport(
            starts_at=starts_at,
            ends_at=ends_at,
            cases_created=dict(created),
            cases_approved=actions["case.approve"],
            cases_closed=actions["case.close"],
            cases_active_at_end=dict(active),
            watchlists=dict(held),
            enrolments=actions["person.enroll"],
            searches=actions["search.run"],
            alerts=actions["alert.raise"],
            confirmations=confirmations,
            alerts_confirmed=confirmed,
            alerts_rejected=rejected,
            refusals=actions["access.denied"],
            failed_logins=actions["login.failed"],
            retention_deleted_alerts=deleted,
        )
        with self.audited(
            "report.transparency",
            "report",
            starts_at=starts_at.isoformat(),
            ends_at=ends_at.isoformat(),
        ):
            pass
        return report

    # -- retention ------------------------------------------------------------------------------
    def run_retention(self) -> RetentionReport:
        """Delete alerts past their case's retention and the people of long-ended cases; the
        counts go into the audit log with the deletions, in one transaction."""
        self.require("retention.run")
        with self.audited("retention.run", "store") as entry:
            report = delete_due(self.store, self.now())
            entry.details.update(
                alerts=report.alerts,
                people=report.people,
                photos=report.photos,
                examples=report.examples,
                sessions=report.sessions,
            )
        return report
