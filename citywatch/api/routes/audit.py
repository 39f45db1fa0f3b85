"""The audit log (auditors; admins may verify and checkpoint it but never read it)."""

from __future__ import annotations

from itertools import islice
from typing import Annotated

from fastapi import APIRouter, Query

from citywatch.api.deps import UserServices
from citywatch.api.schemas.admin import (
    AuditEventPublic,
    AuditEventsPublic,
    ChainReportPublic,
    CheckpointPublic,
)
from citywatch.audit.checkpoints import checkpoint_to_json

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/verify")
def verify_audit(services: UserServices) -> ChainReportPublic:
    """Check the hash chain and the signed checkpoints; `ok` is false if anything was tampered
    with, and `first_bad_sequence` names where."""
    return ChainReportPublic.of(services.verify_audit())


@router.get("/events")
def audit_events(
    services: UserServices,
    after: Annotated[int, Query(ge=0, description="Only records after this sequence")] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> AuditEventsPublic:
    """Records in order; page with `after` = the last sequence received. Reading is audited."""
    events = [AuditEventPublic.of(e) for e in islice(services.export_audit(after), limit)]
    return AuditEventsPublic(data=events, count=len(events))


@router.post("/checkpoints", status_code=201)
def checkpoint_audit(services: UserServices) -> CheckpointPublic:
    """Sign the log's head (Ed25519, key outside the database); keep the answer elsewhere."""
    return CheckpointPublic.model_validate(checkpoint_to_json(services.checkpoint_audit()))
