"""Bodies of the people on a watchlist and of their photos' enrolment, one at a time or imported."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from citywatch.types import ImportReport, Person, PhotoEnrollment


class PersonPublic(BaseModel):
    name: str
    photos: int
    photo_ids: list[int] = Field(description="Enrolled photos, oldest first")
    enrolled_at: datetime | None = Field(description="When the first photo was enrolled")

    @classmethod
    def of(cls, person: Person) -> PersonPublic:
        return cls(
            name=person.name,
            photos=person.photos,
            photo_ids=list(person.photo_ids),
            enrolled_at=person.enrolled_at,
        )


class PeoplePublic(BaseModel):
    data: list[PersonPublic]
    count: int


class PhotoEnrollmentPublic(BaseModel):
    photo: str = Field(description="The photo as sent: its file name, or its path in the archive")
    person: str
    status: str = Field(description="enrolled or rejected")
    reason: str = Field(description="Why it was rejected, naming the photo; empty if enrolled")
    photo_id: int | None
    face_px: float | None = Field(description="Height of the enrolled face in pixels")
    quality: float | None = Field(description="Quality score of the enrolled face, 0 to 1")

    @classmethod
    def of(cls, result: PhotoEnrollment) -> PhotoEnrollmentPublic:
        enrolled = result.status == "enrolled"
        return cls(
            photo=result.source,
            person=result.person,
            status=result.status,
            reason=result.reason,
            photo_id=result.photo_id,
            face_px=round(result.face_px, 1) if enrolled else None,
            quality=round(result.quality, 4) if enrolled else None,
        )


class EnrolmentsPublic(BaseModel):
    """The photos of one upload request, each enrolled or rejected (201 if any was enrolled,
    422 with this same body if none was)."""

    watchlist: str
    person: str
    data: list[PhotoEnrollmentPublic]
    count: int
    enrolled: int
    rejected: int
    detail: str = Field(description="One sentence saying what happened")

    @classmethod
    def of(
        cls, watchlist: str, person: str, results: Sequence[PhotoEnrollment]
    ) -> EnrolmentsPublic:
        enrolled = sum(r.status == "enrolled" for r in results)
        return cls(
            watchlist=watchlist,
            person=person,
            data=[PhotoEnrollmentPublic.of(r) for r in results],
            count=len(results),
            enrolled=enrolled,
            rejected=len(results) - enrolled,
            detail=(
                f"{enrolled} of {len(results)} photos of {person} enrolled on {watchlist}"
                + ("" if enrolled else "; see each photo's reason")
            ),
        )


class ImportPublic(BaseModel):
    """One result per photo of an import archive (201 if any was enrolled, 422 with this same
    body if none was)."""

    watchlist: str
    archive: str
    layout: str = Field(description="folders (a folder per person) or people.csv")
    data: list[PhotoEnrollmentPublic]
    count: int
    enrolled: int
    rejected: int
    people: int = Field(description="People with at least one photo enrolled by this import")
    detail: str = Field(description="One sentence saying what happened")

    @classmethod
    def of(cls, report: ImportReport) -> ImportPublic:
        return cls(
            watchlist=report.watchlist,
            archive=report.archive,
            layout=report.layout,
            data=[PhotoEnrollmentPublic.of(r) for r in report.results],
            count=len(report.results),
            enrolled=report.enrolled,
            rejected=report.rejected,
            people=report.people,
            detail=(
                f"{report.enrolled} of {len(report.results)} photos of {report.archive} "
                f"enrolled on {report.watchlist} for {report.people} people"
                + ("" if report.enrolled else "; see each photo's reason")
            ),
        )
