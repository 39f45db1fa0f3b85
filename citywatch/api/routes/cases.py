"""Cases: create (officers), approve (another person, a supervisor), close, list, show."""

from __future__ import annotations

from fastapi import APIRouter

from citywatch.api.deps import UserServices
from citywatch.api.schemas import CaseCreate, CasePublic, CasesPublic, CloseRequest
from citywatch.types import CaseScope

router = APIRouter(prefix="/cases", tags=["cases"])


@router.get("")
def list_cases(services: UserServices) -> CasesPublic:
    now = services.now()
    cases = [CasePublic.of(c, now) for c in services.cases()]
    return CasesPublic(data=cases, count=len(cases))


@router.post("", status_code=201)
def create_case(body: CaseCreate, services: UserServices) -> CasePublic:
    scope = CaseScope(
        camera_ids=frozenset(body.scope.camera_ids),
        groups=frozenset(body.scope.groups),
        area=tuple(body.scope.area),
        starts_at=body.scope.starts_at,
        ends_at=body.scope.ends_at,
    )
    case = services.create_case(
        body.reference,
        body.category,
        body.legal_basis,
        scope,
        body.expires_at,
        body.retention_days,
    )
    return CasePublic.of(case, services.now())


@router.get("/{reference:path}")
def show_case(reference: str, services: UserServices) -> CasePublic:
    return CasePublic.of(services.case(reference), services.now())


@router.post("/{reference:path}/approve")
def approve_case(reference: str, services: UserServices) -> CasePublic:
    return CasePublic.of(services.approve_case(reference), services.now())


@router.post("/{reference:path}/close")
def close_case(reference: str, body: CloseRequest, services: UserServices) -> CasePublic:
    return CasePublic.of(services.close_case(reference, body.reason), services.now())
