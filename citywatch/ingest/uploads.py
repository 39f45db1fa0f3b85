"""Uploaded bytes, vetted before anything decodes them: photos and import archives.

The one place that decides whether bytes from outside (a file of a request, a member of an
archive, a file named on the command line) may go on to `decode_image`:

- a photo's format is sniffed from its first bytes, never taken from its name: JPEG, PNG, WebP or
  BMP. A PNG called `x.jpg` is fine; a PDF called `x.jpg` is refused, and the message says what
  the content looks like;
- its width and height are read from the header alone (the format's Pillow plugin, opened lazily)
  and more than `MAX_IMAGE_PIXELS` is refused before one pixel is decoded: a PNG that claims
  60000x60000 pixels is 60 bytes long;
- a ZIP archive is read from memory and never extracted to disk. Its member count, declared sizes
  and compression ratio are checked before any member is read, and each member is read with a
  byte counter, so a header that lies about a size cannot bomb us either. Members whose path is
  absolute or climbs out (`../`) are refused one by one; folders, `__MACOSX/` and dotfiles are
  skipped.

Who is who in an archive (`people_in_archive`, in `citywatch.ingest.roster`) is decided from the
member names and `people.csv`; this module only says which members exist and reads them.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from types import TracebackType

from PIL import BmpImagePlugin, ImageFile, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from citywatch.errors import ImageError, InputError
from citywatch.ingest.image import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS
from citywatch.types import ImportItem, UploadedPhoto

MIB = 1024 * 1024

MAX_PHOTO_BYTES = MAX_IMAGE_BYTES
"""One photo, wherever it comes from (the decoder's own limit: one number, not two)."""
MAX_PHOTOS_PER_REQUEST = 50
MAX_PHOTOS_REQUEST_BYTES = 100 * MIB
"""All the photos of one upload request together; more at once belongs in an import archive."""
MAX_ARCHIVE_BYTES = 256 * MIB
"""An import archive as uploaded (compressed)."""
MAX_ARCHIVE_MEMBERS = 2000
MAX_ARCHIVE_UNCOMPRESSED_BYTES = 1024 * MIB
"""The sum of the members' sizes, declared and then actually read."""
MAX_COMPRESSION_RATIO = 100
"""Photos barely compress; a member (or archive) that expands more than this is a bomb..."""
RATIO_FLOOR_BYTES = MIB
"""... once it expands to more than this: a small file of zeros is harmless whatever its ratio."""
MAX_CSV_BYTES = 4 * MIB

FORMATS = ("JPEG", "PNG", "WebP", "BMP")
EXPECTED_PHOTO = "expected a JPEG, PNG, WebP or BMP photo"
EXPECTED_ARCHIVE = (
    "expected a ZIP archive with a folder per person ('Jane Doe/1.jpg') or a people.csv at its "
    "root with columns person,photo"
)

_PLUGINS: dict[str, type[ImageFile.ImageFile]] = {
    "JPEG": JpegImagePlugin.JpegImageFile,
    "PNG": PngImagePlugin.PngImageFile,
    "WebP": WebPImagePlugin.WebPImageFile,
    "BMP": BmpImagePlugin.BmpImageFile,
}
_LOOKALIKES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\x00\x00\x01\x00", "a Windows icon"),
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
_CENTRAL_HEADER = b"PK\x01\x02"


def safe_name(name: str | None, fallback: str) -> str:
    """A sender's name for a file, fit to appear in messages and the audit log: no control
    characters, at most 200 characters; `fallback` when it is empty."""
    cleaned = _CONTROL.sub("?", name or "").strip()
    return cleaned[:200] if cleaned else fallback


def base_name(name: str) -> str:
    """The last part of a path as any client may send it (`C:\\photos\\a.jpg`, `x/a.jpg`)."""
    return re.split(r"[\\/]", name)[-1] or name


def _image_format(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data.startswith(b"BM"):
        return "BMP"
    return None


def looks_like(data: bytes) -> str:
    """What unaccepted content appears to be, for the message that refuses it."""
    for signature, what in _LOOKALIKES:
        if data.startswith(signature):
            return what
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
            return "a HEIC/HEIF photo (convert it to JPEG)"
        if brand == b"avif":
            return "an AVIF image (convert it to JPEG)"
        return "an MP4 or QuickTime video"
    head = data[:1024]
    if b"\x00" not in head:
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError:
            return "unrecognised binary data"
        if text.lstrip().startswith("<"):
            return "HTML or XML text"
        return "plain text"
    return "unrecognised binary data"


def too_large(name: str, size: int, limit: int, what: str) -> str:
    return (
        f"{name}: {size / MIB:.1f} MiB is too large; expected {what} of at most {limit // MIB} MiB"
    )


def sniff_image(data: bytes, name: str) -> str:
    """The photo's format (one of `FORMATS`), read from its content; ImageError naming the photo
    for anything else: empty, too many bytes, another format, a damaged header, too many pixels.

    Only the header is parsed: nothing here decodes pixels, so a bomb costs a few microseconds.
    """
    if not data:
        raise ImageError(f"{name}: the file is empty; {EXPECTED_PHOTO}")
    if len(data) > MAX_PHOTO_BYTES:
        raise ImageError(too_large(name, len(data), MAX_PHOTO_BYTES, "a photo"))
    kind = _image_format(data)
    if kind is None:
        raise ImageError(
            f"{name}: not an image file: the content is {looks_like(data)}, whatever the file "
            f"name says; {EXPECTED_PHOTO}"
        )
    try:
        # The plugin itself, not `Image.open`: we read the size and apply our own limit, without
        # Pillow's global decompression-bomb threshold or its warnings.
        with _PLUGINS[kind](io.BytesIO(data)) as picture:
            width, height = picture.size
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageError(
            f"{name}: the {kind} header is damaged or truncated ({error}); expected a complete "
            f"{kind} photo"
        ) from None
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageError(
            f"{name}: {width}x{height} pixels is too large; expected at most "
            f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels"
        )
    return kind


def looks_like_csv(data: bytes, name: str) -> bool:
    if name.lower().endswith(".csv"):
        return True
    first = data[:4096].split(b"\n", 1)[0]
    return looks_like(data) == "plain text" and (b"," in first or b";" in first)


def _member_path(raw: str) -> list[str] | None:
    """The parts of a member's path; None when it is absolute or climbs out of the archive."""
    path = raw.replace("\\", "/")
    if path.startswith("/") or re.match(r"[A-Za-z]:", path):
        return None
    parts = path.split("/")
    if ".." in parts:
        return None
    return [part for part in parts if part not in ("", ".")]


class ZipUpload:
    """An uploaded ZIP archive, checked as a whole when opened, read one member at a time (so a
    big archive is never held decompressed in memory).

    `entries` lists every file member in archive order, by its normalised path (`a/b.jpg`);
    those refused on sight carry the reason (absolute or `..` path, encrypted, too large,
    too compressed, duplicated). Folders, `__MACOSX/` and dotfiles are not listed at all.
    """

    def __init__(self, data: bytes, name: str) -> None:
        self.name = name
        self.read_bytes = 0
        if not data.startswith(_ZIP_SIGNATURES):
            if data and looks_like_csv(data, name):
                raise InputError(
                    f"{name}: a CSV file alone cannot carry photos; expected a ZIP archive "
                    "holding the photos and, at its root, people.csv with columns person,photo "
                    "whose photo column names them"
                )
            what = looks_like(data) if data else "empty"
            raise InputError(
                f"{name}: not a ZIP archive (the content is {what}); " + EXPECTED_ARCHIVE
            )
        # Each central-directory entry starts with this signature, and zipfile builds an object
        # per entry it finds: counting them first bounds that work, whatever the header claims.
        if data.count(_CENTRAL_HEADER) > MAX_ARCHIVE_MEMBERS:
            raise InputError(
                f"{name}: more than {MAX_ARCHIVE_MEMBERS} members; expected at most "
                f"{MAX_ARCHIVE_MEMBERS} per archive (split the import)"
            )
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
            raise InputError(
                f"{name}: not a readable ZIP archive ({error}); " + EXPECTED_ARCHIVE
            ) from None
        declared = sum(info.file_size for info in infos)
        if declared > MAX_ARCHIVE_UNCOMPRESSED_BYTES:
            self.close()
            raise InputError(
                f"{name}: its members expand to {declared / MIB:.0f} MiB; expected at most "
                f"{MAX_ARCHIVE_UNCOMPRESSED_BYTES // MIB} MiB uncompressed (split the import)"
            )
        if declared > RATIO_FLOOR_BYTES and declared > MAX_COMPRESSION_RATIO * len(data):
            self.close()
            raise InputError(
                f"{name}: {len(data)} bytes that expand to {declared / MIB:.0f} MiB look like a "
                f"decompression bomb; expected photos, which compress at most "
                f"{MAX_COMPRESSION_RATIO} times"
            )
        self._infos: dict[str, zipfile.ZipInfo] = {}
        entries: list[ImportItem] = []
        for info in infos:
            entry = self._entry(info)
            if entry is not None:
                entries.append(entry)
        self.entries = tuple(entries)

    def _entry(self, info: zipfile.ZipInfo) -> ImportItem | None:
        raw = safe_name(info.filename, "(unnamed member)")
        if info.is_dir():
            return None
        parts = _member_path(info.filename)
        if parts is None:
            return ImportItem(
                "",
                raw,
                f"{raw}: the path leaves the archive (absolute, or through '..'); expected a "
                "path inside it such as 'Jane Doe/1.jpg'",
            )
        if not parts or parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts):
            return None  # folders, macOS resource forks, .DS_Store and other hidden files
        member = safe_name("/".join(parts), raw)
        limit = MAX_CSV_BYTES if member.lower().endswith(".csv") else MAX_PHOTO_BYTES
        reason = ""
        if member in self._infos:
            reason = f"{member}: appears twice in the archive; expected each path once"
        elif info.flag_bits & 0x1:
            reason = f"{member}: is encrypted; expected an archive made without a password"
        elif info.file_size > limit:
            reason = too_large(member, info.file_size, limit, "a member")
        elif info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            reason = (
                f"{member}: {info.compress_size} bytes that expand to "
                f"{info.file_size / MIB:.0f} MiB look like a decompression bomb; not read"
            )
        else:
            self._infos[member] = info
        return ImportItem("", member, reason)

    @property
    def members(self) -> tuple[str, ...]:
        """The members that may be read, in archive order."""
        return tuple(entry.member for entry in self.entries if not entry.reason)

    def read(self, member: str) -> bytes:
        """A member's bytes, never more than its header declared (nor than the archive's total):
        InputError naming the member otherwise, or when it cannot be decompressed."""
        info = self._infos.get(member)
        if info is None:
            raise InputError(f"{member}: not a readable member of {self.name}")
        declared, chunks, seen = info.file_size, [], 0
        if self.read_bytes + declared > MAX_ARCHIVE_UNCOMPRESSED_BYTES:
            # Only a people.csv naming the same big member again and again gets here.
            raise InputError(
                f"{member}: not read: {self.name} has already given "
                f"{self.read_bytes / MIB:.0f} MiB; expected an import that reads at most "
                f"{MAX_ARCHIVE_UNCOMPRESSED_BYTES // MIB} MiB"
            )
        try:
            with self._zip.open(info) as stream:
                while chunk := stream.read(min(MIB, declared - seen + 1)):
                    seen += len(chunk)
                    if seen > declared:
                        raise InputError(
                            f"{member}: holds more bytes than its header declares ({declared}); "
                            "expected an intact archive (it is damaged or forged)"
                        )
                    chunks.append(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as error:
            raise InputError(
                f"{member}: cannot be read from {self.name} ({error}); expected an intact "
                "ZIP member"
            ) from None
        except (zlib.error, NotImplementedError) as error:
            raise InputError(
                f"{member}: cannot be decompressed ({error}); expected a ZIP made with the "
                "usual 'deflate' or 'store' methods"
            ) from None
        self.read_bytes += seen
        return b"".join(chunks)

    def files(self) -> Iterator[UploadedPhoto | ImportItem]:
        """Every file member in archive order: read, or refused (an item with its reason)."""
        for entry in self.entries:
            if entry.reason:
                yield entry
                continue
            try:
                yield UploadedPhoto(entry.member, self.read(entry.member))
            except InputError as error:
                yield ImportItem("", entry.member, str(error))

    def close(self) -> None:
        if hasattr(self, "_zip"):
            self._zip.close()

    def __enter__(self) -> ZipUpload:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def read_zip(data: bytes, name: str) -> Iterator[UploadedPhoto | ImportItem]:
    """The file members of a ZIP upload, read lazily in archive order, refused ones with their
    reason. The archive as a whole is checked now: InputError naming it when it is not a ZIP, is
    damaged, has too many members or expands too much."""
    return ZipUpload(data, name).files()
