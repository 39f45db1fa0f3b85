"""Enrolment: photos of people onto a case's watchlist, a person at a time or by bulk import.

Every way in (photo files named on the command line, the files of an upload request, the members
of an import archive) ends in `_enrol_one`, so that every photo gets the same checks in the same
order and the same audit record: `person.enroll` with the photo's SHA-256 when it is stored,
`person.enroll.rejected` with the reason when it is not. One bad photo never stops the others,
and a rejected photo leaves nothing behind (not even its person, had it been their first).

The permission (`person.enroll` in the watchlist's case) is checked once, before any photo is
read; a bulk import also leaves one `person.import` record with the archive's SHA-256 and totals.
As for every object of a case (`require_on`), a watchlist of a case the user may not see answers
exactly as a name that does not exist, and that answer names only the lists they may see.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path

from citywatch.cases.policy import may_role
from citywatch.detect import FaceDetector, load_detector
from citywatch.embed import FaceEmbedder, load_embedder
from citywatch.errors import InputError, NotFoundError
from citywatch.ingest.image import decode_image
from citywatch.ingest.roster import archive_layout, people_in_archive
from citywatch.ingest.uploads import (
    EXPECTED_ARCHIVE,
    MAX_PHOTO_BYTES,
    ZipUpload,
    base_name,
    sniff_image,
    too_large,
)
from citywatch.match.enroll import prepare_face
from citywatch.services.casework import CaseServices
from citywatch.types import Case, ImportItem, ImportReport, Person, PhotoEnrollment, UploadedPhoto

MAX_PERSON_NAME = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def person_name(raw: str) -> str:
    """A person's name as stored: trimmed, non-empty, one line, at most 200 characters."""
    name = raw.strip()
    if not name:
        raise InputError("person name is empty; expected the person's full name")
    if len(name) > MAX_PERSON_NAME or _CONTROL.search(name):
        raise InputError(
            f"person name {name[:60]!r} is not usable; expected the person's name on one line, "
            f"at most {MAX_PERSON_NAME} characters"
        )
    return name


class EnrolmentServices(CaseServices):
    @cached_property
    def detector(self) -> FaceDetector:
        return load_detector(
            "yunet",
            min_score=self.settings.detector_min_score,
            max_side_px=self.settings.detector_max_side_px,
        )

    @cached_property
    def embedder(self) -> FaceEmbedder:
        return load_embedder(self.settings.embedder, flip=self.settings.flip)

    def enroll_photos(
        self,
        watchlist: str,
        person: str,
        photos: Sequence[UploadedPhoto],
        take_largest: bool = False,
    ) -> list[PhotoEnrollment]:
        """Enrol each photo independently; one bad photo never stops the others."""
        person = person_name(person)
        case = self._enrolment_case(watchlist, len(photos))
        return [self._enrol_one(case, watchlist, person, p, take_largest) for p in photos]

    def enroll(
        self, watchlist: str, person: str, photos: Sequence[Path], take_largest: bool = False
    ) -> list[PhotoEnrollment]:
        """`enroll_photos` for photo files (the CLI): each file is read, one at a time, after the
        permission check, and judged exactly as an uploaded photo would be."""
        person = person_name(person)
        case = self._enrolment_case(watchlist, len(photos))
        results = []
        for path in photos:
            try:
                size = Path(path).stat().st_size
                # Refuse a huge file before reading it into memory.
                data = b"" if size > MAX_PHOTO_BYTES else Path(path).read_bytes()
            except OSError as error:
                # Name the file like every other rejection does (the reason is shown alone).
                reason = f"{path}: cannot be read ({error.strerror}); expected a photo file"
                results.append(PhotoEnrollment(str(path), "rejected", reason, person=person))
                continue
            if size > MAX_PHOTO_BYTES:
                reason = too_large(str(path), size, MAX_PHOTO_BYTES, "a photo")
                results.append(PhotoEnrollment(str(path), "rejected", reason, person=person))
                continue
            photo = UploadedPhoto(str(path), data)
            results.append(self._enrol_one(case, watchlist, person, photo, take_largest))
        return results

    def import_people(
        self,
        watchlist: str,
        archive: bytes,
        name: str,
        take_largest: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> ImportReport:
        """Enrol the photos of a ZIP archive, each for the person the archive says (a folder per
        person, or people.csv): one result per photo, in archive order.

        The archive as a whole is refused (InputError, nothing stored) when it is not a ZIP, is
        damaged, too big, a decompression bomb, holds no photo, or has an unusable people.csv.
        """
        case = self._watchlist_for(watchlist, "person.enroll")  # before any work
        digest = hashlib.sha256(archive).hexdigest()
        with ZipUpload(archive, name) as upload:
            layout = archive_layout(upload)
            items = people_in_archive(upload)
            if not items:
                raise InputError(f"{name}: holds no photos; {EXPECTED_ARCHIVE}")
            done: list[PhotoEnrollment] = []
            for item in items:
                done.append(self._import_one(case, watchlist, upload, item, take_largest))
                if progress is not None:
                    progress(len(done), len(items))  # photos judged so far, of all
            results = tuple(done)
        report = ImportReport(watchlist, name, layout, results)
        with self.audited(
            "person.import",
            f"watchlist:{watchlist}",
            case.id,
            archive=name,
            archive_sha256=digest,
            layout=layout,
            photos=len(results),
            enrolled=report.enrolled,
            rejected=report.rejected,
            people=report.people,
        ):
            pass
        return report

    def people(self, watchlist: str) -> list[Person]:
        """The people on a watchlist with their photos' ids (a view of names: audited)."""
        case = self._watchlist_for(watchlist, "watchlist.view")
        listed = self.store.people(watchlist)
        with self.audited("watchlist.view", f"watchlist:{watchlist}", case.id, people=len(listed)):
            pass
        return listed

    # -- which list, may they -------------------------------------------------------------------
    def _enrolment_case(self, watchlist: str, photos: int) -> Case:
        if not photos:
            raise InputError("no photos given; expected one or more photo files")
        return self._watchlist_for(watchlist, "person.enroll")  # before any work

    def _watchlist_for(self, watchlist: str, action: str) -> Case:
        """The case of `watchlist`, if the acting user may do `action` on it. A list in a case
        they may not see gets the very answer of an unknown name (404); one they may see but not
        act on is refused (403, with the reason)."""
        user = self.user()
        visible = self.visible_case_ids(user) if may_role(user, "watchlist.view") else []
        names = [
            listed.name
            for listed in self.store.watchlists()
            if visible is None or listed.case_id in visible
        ]
        missing = (
            f"no watchlist named {watchlist!r} (existing: {', '.join(names) or 'none yet'}); "
            f"create it with 'citywatch watchlist create {watchlist} --case REFERENCE'"
        )
        try:
            case = self.watchlist_case(watchlist)
        except NotFoundError:
            raise NotFoundError(missing) from None
        self.require_on(action, case, "watchlist.view", missing)
        return case

    # -- one photo -----------------------------------------------------------------------------
    def _import_one(
        self,
        case: Case,
        watchlist: str,
        upload: ZipUpload,
        item: ImportItem,
        take_largest: bool,
    ) -> PhotoEnrollment:
        if item.reason:
            return PhotoEnrollment(item.member, "rejected", item.reason, person=item.person)
        try:
            person = person_name(item.person)
        except InputError as error:
            reason = f"{item.member}: {error}"
            return PhotoEnrollment(item.member, "rejected", reason, person=item.person)
        try:
            data = upload.read(item.member)
        except InputError as error:
            return PhotoEnrollment(item.member, "rejected", str(error), person=person)
        photo = UploadedPhoto(item.member, data)
        return self._enrol_one(case, watchlist, person, photo, take_largest)

    def _enrol_one(
        self,
        case: Case,
        watchlist: str,
        person: str,
        photo: UploadedPhoto,
        take_largest: bool,
    ) -> PhotoEnrollment:
        """Vet, decode, find and embed the face of one photo and store it, or say why not."""
        sha256 = hashlib.sha256(photo.data).hexdigest()
        try:
            known = self.store.enrolled_photo(watchlist, person, sha256)
            if known is not None:
                raise InputError(
                    f"{photo.name}: already enrolled for {person} as photo {known}; expected a "
                    "photo not yet on the watchlist (nothing stored)"
                )
            sniff_image(photo.data, photo.name)  # before any decoder sees the bytes
            image = decode_image(photo.data, photo.name)
            face = prepare_face(image, photo.name, self.detector, self.embedder, take_largest)
        except InputError as error:
            with self.audited(
                "person.enroll.rejected",
                f"watchlist:{watchlist}",
                case.id,
                person=person,
                photo_sha256=sha256,
                reason=str(error),
            ):
                pass
            return PhotoEnrollment(photo.name, "rejected", str(error), person=person)
        with self.audited(
            "person.enroll",
            f"watchlist:{watchlist}",
            case.id,
            person=person,
            photo_sha256=sha256,
        ) as entry:
            listed = self.store.person(watchlist, person, create=True)
            photo_id = self.store.add_photo(
                listed, image, base_name(photo.name), sha256, face, self.embedder.name
            )
            entry.object = f"photo:{photo_id}"
            entry.details["person_id"] = listed.id
        return PhotoEnrollment(
            photo.name,
            "enrolled",
            photo_id=photo_id,
            face_px=float(face.heights_px[0]),
            quality=float(face.quality[0]),
            person=person,
        )
