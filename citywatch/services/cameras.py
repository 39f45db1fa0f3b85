"""Cameras: registration with the onboarding check, probes, the list with health and the cap."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from citywatch.errors import InputError, SourceError
from citywatch.ingest.probe import onboarding_problems, probe_stream
from citywatch.ingest.stream import stream_options
from citywatch.ingest.urls import check_stream_url, redact_url
from citywatch.runtime.supervisor import assign_cameras
from citywatch.services.base import ServiceBase
from citywatch.types import Camera, CameraHealth, StreamProbe


@dataclass(frozen=True, slots=True)
class CameraAdded:
    camera: Camera
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CamerasStatus:
    """Registered cameras, their last known health, and which are analysed under the cap."""

    cameras: tuple[Camera, ...]
    health: dict[str, CameraHealth]
    analysed: tuple[str, ...]
    cap: int


MAX_ANALYSIS_FPS = 30.0
FORCE_HINT = 'force it to record it anyway (--force; "force": true in the API)'


def camera_problems(camera: Camera) -> list[str]:
    """What is wrong with a camera's own fields (not its stream), in words for any front end."""
    problems = []
    if (camera.lat is None) != (camera.lon is None):
        problems.append("give both latitude and longitude, or neither")
    elif (
        camera.lat is not None
        and camera.lon is not None
        and not (-90 <= camera.lat <= 90 and -180 <= camera.lon <= 180)
    ):
        problems.append(
            f"latitude {camera.lat} / longitude {camera.lon} is not a place; expected WGS84 "
            "degrees (latitude -90..90, longitude -180..180)"
        )
    if not 0 < camera.analysis_fps <= MAX_ANALYSIS_FPS:
        problems.append(
            f"analysis rate {camera.analysis_fps:g} fps; expected more than 0 and at most "
            f"{MAX_ANALYSIS_FPS:g}"
        )
    if camera.min_face_px <= 0:
        problems.append(f"smallest face {camera.min_face_px:g} px; expected more than 0")
    return problems


class CameraServices(ServiceBase):
    # -- cameras ---------------------------------------------------------------------------------
    def add_camera(self, camera: Camera, url: str, force: bool = False) -> CameraAdded:
        """Check the camera's fields, probe, check the onboarding bar, register. `force` records
        a camera whose probe or onboarding check fails anyway (never one with bad fields)."""
        self.require("camera.manage")
        problems = camera_problems(camera)
        if problems:
            raise InputError(f"camera {camera.id!r}: {'; '.join(problems)}")
        url = check_stream_url(url)
        if "://" not in url:
            if not Path(url).is_file():
                raise InputError(f"{url}: no such file; expected a stream URL or a video file")
            url = str(Path(url).resolve())  # `run` may start in another folder
        warnings: list[str] = []
        probe = None
        try:
            probe = probe_stream(url, options=stream_options(self.settings))
        except SourceError as error:
            if not force:
                raise SourceError(f"{error}; {FORCE_HINT}", error.state) from None
            warnings.append(str(error))
        if probe is not None and camera.owner != "city":
            problems = onboarding_problems(probe)
            if problems and not force:
                raise InputError(
                    f"camera {camera.id!r} ({redact_url(url)}) fails the third-party onboarding "
                    f"check: {'; '.join(problems)} (measured {probe.width_px}x{probe.height_px} "
                    f"at {probe.fps:.1f} fps over {probe.frames} frames); {FORCE_HINT}"
                )
            warnings.extend(problems)
        with self.audited(
            "camera.add",
            f"camera:{camera.id}",
            url=redact_url(url),
            owner=camera.owner,
            group=camera.group,
            forced=bool(warnings),
        ):
            added = self.store.cameras.add(replace(camera, probe=probe, forced=bool(warnings)), url)
        return CameraAdded(added, tuple(warnings))

    def probe(self, url: str) -> StreamProbe:
        self.require("camera.view")
        return probe_stream(check_stream_url(url), options=stream_options(self.settings))

    def cameras(self) -> CamerasStatus:
        self.require("camera.view")
        cameras = self.store.cameras.all()
        analysed, _ = assign_cameras(cameras, self.settings.max_analysed_cameras)
        return CamerasStatus(
            cameras=tuple(cameras),
            health=self.store.cameras.health(),
            analysed=tuple(c.id for c in analysed),
            cap=self.settings.max_analysed_cameras,
        )

    def remove_camera(self, camera_id: str) -> Camera:
        self.require("camera.manage")
        with self.audited("camera.remove", f"camera:{camera_id}"):
            return self.store.cameras.remove(camera_id)

    def start_runtime(self) -> None:
        """Check that the acting user may run the cameras, and record that they did."""
        self.require("runtime.run")
        cameras = self.store.cameras.all()
        analysed, _ = assign_cameras(cameras, self.settings.max_analysed_cameras)
        with self.audited("runtime.start", "cameras", analysed=",".join(c.id for c in analysed)):
            pass
