"""Build the demo sample: an enrolment photo and a short synthetic "CCTV" clip.

The demo must work for anyone who clones the repository, so it cannot use ``../shared/data``
(test data that is not ours to ship). Instead it takes four photos from the PyPI sdist of
``face_recognition==1.3.0`` (MIT-licensed package by Adam Geitgey; the photos are official White
House photos of Barack Obama and Joe Biden by Pete Souza, works of the US federal government and so
in the public domain in the US; see NOTICE) and composites three of them into a 6 s
1280x720 25 fps H.264 clip in which they pass the camera one after another:

    0-2 s  biden.jpg    walks left to right, face grows from 90 to 150 px (approaching)
    2-4 s  obama2.jpg   walks right to left
    4-6 s  obama3.jpg   walks left to right

``obama.jpg`` is the enrolment photo and never appears in the clip, so a match in the clip is a
match of a different photo of the same person. Each walker leaves the frame empty for the last
0.24 s of its slot so that a tracker sees three separate passes.

The download happens here, at set-up time; citywatch itself never reaches the network. Output is
deterministic: the sdist and the photos are checked against pinned SHA-256 digests, and the clip is
drawn from them with no randomness other than a seeded noise field.

Usage (from the repository root, with the project's virtual environment)::

    .venv/bin/python scripts/demo_sample.py [--out demo/sample] [--cache demo/cache] [--force]
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt

log = logging.getLogger("demo_sample")

ROOT = Path(__file__).resolve().parent.parent

SDIST_REQUIREMENT = "face_recognition==1.3.0"
SDIST_NAME = "face_recognition-1.3.0.tar.gz"
SDIST_SHA256 = "5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec"
PHOTO_DIR_IN_SDIST = "face_recognition-1.3.0/tests/test_images"
PHOTO_SHA256 = {
    "obama.jpg": "0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6",
    "obama2.jpg": "a7efcc907375274796f39646510704aa86672d59f6d5469d69af3c85590976a6",
    "obama3.jpg": "76ac6bf97c36dc2da0ad16a537d6a5ac1b10f48d49aac29a0cca9a17cdbc3ca3",
    "biden.jpg": "3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c",
}

# Bump when the drawing below changes, so that an existing sample is rebuilt.
BUILD_ID = "street-v1"
CLIP_NAME = "street.mp4"
SOURCES_NAME = "SOURCES.txt"

WIDTH_PX, HEIGHT_PX, FPS = 1280, 720, 25
SLOT_FRAMES = 50  # 2 s per walker
VISIBLE_FRAMES = 44  # then 6 empty frames before the next walker


@dataclass(frozen=True)
class Walker:
    """One photo's pass across the frame.

    ``face_xywh`` is the face box in the original photo, measured once with YuNet (the photos are
    pinned by digest, so the box cannot drift). It lets the clip control the face size in pixels,
    which is what a detector and the quality gate care about.
    """

    photo: str
    face_xywh: tuple[int, int, int, int]
    start_x: float  # face centre, as a fraction of the frame width
    end_x: float
    start_face_px: float = 90.0
    end_face_px: float = 150.0


WALKERS = (
    Walker("biden.jpg", (428, 177, 277, 383), start_x=0.26, end_x=0.48),
    Walker("obama2.jpg", (195, 225, 275, 389), start_x=0.74, end_x=0.52),
    Walker("obama3.jpg", (638, 246, 272, 367), start_x=0.30, end_x=0.56),
)

Image = npt.NDArray[np.uint8]
FloatImage = npt.NDArray[np.float32]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch_sdist(cache: Path) -> Path:
    """Download the sdist with pip (from PyPI) unless a good copy is already cached."""
    sdist = cache / SDIST_NAME
    if sdist.exists() and sha256_of(sdist) == SDIST_SHA256:
        return sdist
    cache.mkdir(parents=True, exist_ok=True)
    sdist.unlink(missing_ok=True)
    log.info("downloading %s from PyPI into %s", SDIST_REQUIREMENT, cache)
    subprocess.run(
        [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
            "--no-deps", "--no-binary", ":all:", SDIST_REQUIREMENT, "-d", str(cache),
        ],
        check=True,
    )  # fmt: skip
    digest = sha256_of(sdist)
    if digest != SDIST_SHA256:
        raise SystemExit(f"{sdist}: SHA-256 {digest}, expected {SDIST_SHA256}; refusing to use it")
    return sdist


def extract_photos(sdist: Path, out: Path) -> None:
    """Copy the four photos out of the sdist, by exact member name (no path from the archive)."""
    with tarfile.open(sdist, "r:gz") as archive:
        for name, expected in PHOTO_SHA256.items():
            member = archive.extractfile(f"{PHOTO_DIR_IN_SDIST}/{name}")
            if member is None:
                raise SystemExit(f"{sdist}: {name} is not a regular file")
            data = member.read()
            if hashlib.sha256(data).hexdigest() != expected:
                raise SystemExit(f"{sdist}: {name} does not match its pinned SHA-256")
            (out / name).write_bytes(data)


def draw_background() -> FloatImage:
    """A plain corridor: lit wall graded to a darker floor, two doorways, a skirting line."""
    rows = np.linspace(0.0, 1.0, HEIGHT_PX, dtype=np.float32)[:, None]
    cols = np.linspace(-1.0, 1.0, WIDTH_PX, dtype=np.float32)[None, :]
    wall = 150.0 - 30.0 * rows - 18.0 * cols**2  # brighter in the middle, like a ceiling light
    floor_y = int(HEIGHT_PX * 0.78)
    grey = np.where(np.arange(HEIGHT_PX)[:, None] < floor_y, wall, wall - 55.0)
    background = np.repeat(grey[:, :, None], 3, axis=2).astype(np.float32)
    background[..., 0] += 6.0  # a cool cast (BGR), as cheap cameras have under fluorescent light
    for left in (90, 1060):
        cv2.rectangle(background, (left, 170), (left + 130, floor_y), (96, 92, 88), thickness=-1)
    cv2.line(background, (0, floor_y), (WIDTH_PX, floor_y), (70, 70, 70), thickness=4)
    return background


@dataclass(frozen=True)
class Sprite:
    """A walker's head and shoulders, ready to be warped into frames."""

    pixels: FloatImage  # BGR
    alpha: FloatImage  # 0..1, feathered edges
    face_px: float  # face height in ``pixels``
    face_centre: tuple[float, float]  # x, y in ``pixels``


def make_sprite(photo: Image, walker: Walker) -> Sprite:
    """Crop head and shoulders, pre-shrink to the largest face size, and build a soft alpha.

    Shrinking once with INTER_AREA avoids aliasing; each frame then only scales down a little
    more with a sub-pixel affine warp, which keeps the motion smooth.
    """
    x, y, w, h = walker.face_xywh
    centre_x, centre_y = x + w / 2, y + h / 2
    left, right = int(max(0, centre_x - 1.5 * w)), int(min(photo.shape[1], centre_x + 1.5 * w))
    top, bottom = int(max(0, y - 0.6 * h)), int(min(photo.shape[0], y + 3.2 * h))
    scale = walker.end_face_px / h
    crop = photo[top:bottom, left:right]
    size = (round(crop.shape[1] * scale), round(crop.shape[0] * scale))
    pixels = cv2.resize(crop, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    feather_px = 12
    alpha = np.zeros(pixels.shape[:2], dtype=np.float32)
    inner = (size[0] - feather_px, size[1] - feather_px)
    cv2.rectangle(alpha, (feather_px, feather_px), inner, 1.0, thickness=-1)
    alpha = cv2.GaussianBlur(alpha, (0, 0), sigmaX=feather_px / 2)
    centre = ((centre_x - left) * scale, (centre_y - top) * scale)
    return Sprite(pixels, alpha.astype(np.float32), walker.end_face_px, centre)


def place_walker(walker: Walker, sprite: Sprite, step: int) -> npt.NDArray[np.float64]:
    """The affine map from sprite pixels to frame pixels at ``step`` of the walker's pass."""
    t = step / (VISIBLE_FRAMES - 1)
    face_px = walker.start_face_px + t * (walker.end_face_px - walker.start_face_px)
    face_x = WIDTH_PX * (walker.start_x + t * (walker.end_x - walker.start_x))
    bob_px = 3.0 * np.sin(2 * np.pi * step / 12)  # a step every ~0.5 s
    face_y = HEIGHT_PX * (0.30 + 0.06 * t) + bob_px  # drifts down as the walker comes closer
    scale = face_px / sprite.face_px
    return np.array(
        [
            [scale, 0.0, face_x - scale * sprite.face_centre[0]],
            [0.0, scale, face_y - scale * sprite.face_centre[1]],
        ]
    )


def draw_frame(
    index: int, background: FloatImage, sprites: list[Sprite], noise: FloatImage
) -> Image:
    frame = background
    slot, step = divmod(index, SLOT_FRAMES)
    if step < VISIBLE_FRAMES:
        sprite = sprites[slot]
        matrix = place_walker(WALKERS[slot], sprite, step)
        size = (WIDTH_PX, HEIGHT_PX)
        person = cv2.warpAffine(sprite.pixels, matrix, size, flags=cv2.INTER_LINEAR)
        weight = cv2.warpAffine(sprite.alpha, matrix, size, flags=cv2.INTER_LINEAR)[..., None]
        frame = frame * (1.0 - weight) + person * weight
    dy, dx = (index * 13) % 64, (index * 29) % 64
    frame = frame + noise[dy : dy + HEIGHT_PX, dx : dx + WIDTH_PX]
    pixels = np.clip(frame, 0, 255).astype(np.uint8)
    stamp = f"CAM 01  STREET  2024-01-01 12:00:{index // FPS:02d}.{index % FPS * 4:02d}"
    cv2.putText(pixels, stamp, (24, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (235, 235, 235), 2)
    return pixels


def render_clip(photos: dict[str, Image], path: Path) -> None:
    """Draw the frames and encode them; the file appears only when complete."""
    background = draw_background()
    # One seeded sensor-noise field, shifted each frame: it looks like noise and costs one draw.
    rng = np.random.default_rng(7)
    noise = rng.normal(0.0, 2.0, (HEIGHT_PX + 64, WIDTH_PX + 64, 1)).astype(np.float32)
    sprites = [make_sprite(photos[w.photo], w) for w in WALKERS]
    tmp = path.with_suffix(".tmp.mp4")
    with av.open(str(tmp), mode="w") as container:
        stream = container.add_stream(
            "libx264",
            rate=FPS,
            options={"crf": "20", "preset": "fast", "g": str(FPS), "threads": "4"},
        )
        stream.width, stream.height, stream.pix_fmt = WIDTH_PX, HEIGHT_PX, "yuv420p"
        for index in range(SLOT_FRAMES * len(WALKERS)):
            pixels = draw_frame(index, background, sprites, noise)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="bgr24")))
        container.mux(stream.encode(None))
    tmp.replace(path)


def sources_text() -> str:
    """SOURCES.txt: where the sample came from. Written last, so it also marks a complete build."""
    lines = [
        f"build: {BUILD_ID}",
        "",
        f"Photos: {', '.join(PHOTO_SHA256)} from the PyPI sdist {SDIST_REQUIREMENT}",
        f"({PHOTO_DIR_IN_SDIST}/; package licence MIT, Adam Geitgey). They are official White",
        "House photos of Barack Obama and Joe Biden by Pete Souza: works of the US federal",
        "government, public domain in the US. See NOTICE in the repository.",
        "",
        f"{CLIP_NAME}: synthetic, made by scripts/demo_sample.py from biden.jpg, obama2.jpg and",
        "obama3.jpg (2 s each). obama.jpg is the enrolment photo and is not in the clip.",
        "",
        *(f"{digest}  {name}" for name, digest in PHOTO_SHA256.items()),
        "",
    ]
    return "\n".join(lines)


def is_up_to_date(out: Path) -> bool:
    sources = out / SOURCES_NAME
    if not sources.exists() or sources.read_text() != sources_text():
        return False
    if not (out / CLIP_NAME).exists():
        return False
    return all(
        (out / name).exists() and sha256_of(out / name) == digest
        for name, digest in PHOTO_SHA256.items()
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "demo" / "sample")
    parser.add_argument("--cache", type=Path, default=ROOT / "demo" / "cache")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="demo_sample: %(message)s")

    out: Path = args.out
    if not args.force and is_up_to_date(out):
        log.info("%s is up to date", out)
        return 0
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    (out / SOURCES_NAME).unlink(missing_ok=True)
    extract_photos(fetch_sdist(args.cache), out)
    photos: dict[str, Image] = {}
    for walker in WALKERS:
        image = cv2.imread(str(out / walker.photo), cv2.IMREAD_COLOR)
        if image is None:
            raise SystemExit(f"{out / walker.photo}: OpenCV could not decode it")
        photos[walker.photo] = image.astype(np.uint8)
    render_clip(photos, out / CLIP_NAME)
    (out / SOURCES_NAME).write_text(sources_text())
    log.info("built %s in %.1f s", out / CLIP_NAME, time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
