"""Live cameras end to end: `citywatch run` against real RTSP cameras that work, die and misbehave.

Each test registers cameras served by the real RTSP test server (`rtsp.py`), starts `citywatch
run --json` as a child process (real signals, real worker processes) and follows its JSON lines:
health changes, alerts and, last, the summary. Faults are the server's: SIGKILL (a camera losing
power), SIGSTOP (a hung camera), a stream cut mid-frame, corrupted H.264, a port that never
answers and one that refuses.

Timeouts are shortened through the environment so that every state shows within seconds:
`stall_after_s=2` (no frame for 2 s on an open connection: stalled), `read_timeout_s=4` (longer
than the stall, so a hung connection is reported stalled by the watchdog before FFmpeg gives up on
it) and `open_timeout_s=3` (a port that accepts and never answers is reported after 3 s).
"""

from __future__ import annotations

import contextlib
import signal
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from citywatch.detect import FaceDetector
from citywatch.embed.quality import frontal_scores

from .conftest import (
    CASE,
    CROWD_VIDEO,
    ENROL_FRAME,
    WALKERS_VIDEO,
    CitywatchCli,
    LiveRunFactory,
    add_camera,
    crop_face,
    lfw_photo,
    video_frame,
    write_jpeg,
)
from .rtsp import Mount, RefusingPort, RtspServerFactory, SilentPort

pytestmark = pytest.mark.slow

FAST_STATES = {"stall_after_s": 2, "read_timeout_s": 4, "open_timeout_s": 3}
"""Settings (as CITYWATCH_* variables) that make every health state show within seconds."""
START_TIMEOUT_S = 40.0
"""`run` start-up (interpreter, worker spawn, models) plus the first connection, on a busy box."""
MIN_ENROL_FACE_PX = 60.0
THRESHOLD = 0.45
"""The watchlist's own threshold (as in the walking-video scan test), not the calibrated default."""
STRANGER = ("Abdel_Madi_Shabneh", 1)
"""An LFW photo enrolled next to Walker A: nobody in the clip is this person."""
CLIP_S = 4.2
"""One pass of the walking clip (105 frames at 25 fps)."""
GAP_S = 2.0
"""Grey frames after each pass of the walking clip on the looping camera: nobody in view."""


def camera_list(citywatch: CitywatchCli) -> dict[str, dict[str, Any]]:
    """`camera list --json`, from this (pytest's) process: the health `run` stored, by camera."""
    result, lines = citywatch.json("camera", "list", "--json")
    assert result.exit_code == 0, result.output
    return {camera["id"]: camera for camera in lines[0]["data"]}


# --- 1. an enrolled person walks past a camera ---------------------------------------------------


def enrol_walker(
    citywatch: CitywatchCli, detector: FaceDetector, frame: np.ndarray, folder: Path, lfw: Path
) -> None:
    """Enrol the most frontal large face of the frame as "Walker A", and an LFW stranger."""
    faces = detector.detect(frame)
    big = np.flatnonzero(faces.heights_px >= MIN_ENROL_FACE_PX)
    assert big.size, "the enrolment frame should hold a face of 60 px or more"
    chosen = big[int(np.argmax(frontal_scores(faces.landmarks[big])))]
    photo = write_jpeg(folder / "walker-a.jpg", crop_face(frame, faces.boxes[chosen]))
    created = citywatch.run(
        "watchlist", "create", "missing", "--case", CASE, "--min-similarity", str(THRESHOLD)
    )
    assert created.exit_code == 0
    for person, image in (("Walker A", photo), ("Stranger", lfw_photo(lfw, *STRANGER))):
        result, lines = citywatch.json(
            "enroll", "--watchlist", "missing", "--person", person, "--json", image
        )
        assert result.exit_code == 0 and lines[0]["status"] == "enrolled", lines


def with_gap(source: Path, target: Path, gap_s: float) -> Path:
    """`source` re-encoded (H.264, same size and rate) and followed by `gap_s` of grey frames."""
    with av.open(str(source)) as clip, av.open(str(target), "w") as output:
        video = clip.streams.video[0]
        rate = int(video.average_rate or 25)
        stream = output.add_stream("h264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = video.width, video.height, "yuv420p"
        stream.options = {"crf": "20", "preset": "veryfast"}
        frames = [frame.to_ndarray(format="rgb24") for frame in clip.decode(video)]
        grey = np.full_like(frames[0], 128)
        for index, image in enumerate([*frames, *[grey] * round(gap_s * rate)]):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, rate)
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    return target


def test_enrolled_walker_passing_a_live_camera_raises_one_alert(
    citywatch: CitywatchCli,
    detector: FaceDetector,
    data_dir: Path,
    lfw: Path,
    rtsp_servers: RtspServerFactory,
    live_runs: LiveRunFactory,
    tmp_path: Path,
) -> None:
    """The camera loops the walking clip (4.2 s) that the enrolment frame comes from, each pass
    followed by 2 s in which nobody is in view, as when people walk past again later. The alert
    comes during or right after Walker A's first pass; every later pass is a new track of the
    same person on the same camera, and extends that alert instead of raising another. Nobody in
    the clip is the enrolled stranger.

    Without the gap, the clip's last frame would be followed by its first, and Walker A, near
    the same spot at both ends, would keep one track through every pass (its final sighting,
    which extends the alert, would then come only when `run` stops)."""
    clip = data_dir / WALKERS_VIDEO
    enrol_walker(citywatch, detector, video_frame(clip, ENROL_FRAME), tmp_path, lfw)
    passes = with_gap(clip, tmp_path / "walkers-with-gap.mp4", GAP_S)
    server = rtsp_servers({"arcade": Mount(passes, loop=True)})
    add_camera(citywatch, "arcade-1", server.url("arcade"))

    run = live_runs(citywatch.home)
    alert = run.wait_for("an alert for Walker A", lambda e: e["event"] == "alert", START_TIMEOUT_S)
    assert alert["person"] == "Walker A"
    assert alert["camera"] == "arcade-1"
    assert alert["watchlist"] == "missing"
    assert THRESHOLD <= alert["similarity"] <= 1.0
    assert alert["first_seen_s"] < alert["last_seen_s"]
    assert alert["first_seen_at"] < alert["last_seen_at"]
    assert Path(alert["crop"]).is_file() and Path(alert["photo"]).is_file()
    assert run.states("arcade-1")[-1] == "live"

    # The next passes (every 6.2 s) extend that alert: poll the database until one has.
    query = "SELECT last_seen_s FROM alerts WHERE id = ?"
    deadline = time.monotonic() + 20
    with contextlib.closing(citywatch.db()) as db:
        while db.execute(query, (alert["id"],)).fetchone()[0] < (alert["last_seen_s"] + CLIP_S):
            assert time.monotonic() < deadline, f"no later pass extended the alert\n{run.report()}"
            time.sleep(0.2)

    assert run.stop(signal.SIGTERM) == 0
    summary = run.summary
    alerts = [e for e in run.events if e["event"] == "alert"]
    assert [(a["person"], a["camera"]) for a in alerts] == [("Walker A", "arcade-1")]
    assert summary["cameras"] == 1 and summary["alerts"] == 1
    camera = summary["per_camera"]["arcade-1"]
    assert camera["restarts"] == 0 and camera["connections"] == 1
    # Several passes, each with sightings of several walkers, Walker A among them.
    assert camera["sightings"] == summary["sightings"] >= 3
    assert not run.leftovers(), "a worker outlived citywatch run"
    stored = camera_list(citywatch)["arcade-1"]["health"]
    assert (stored["state"], stored["last_error"]) == ("offline", "citywatch stopped")


# --- 2. a camera that dies, comes back, hangs and recovers ---------------------------------------


def test_camera_killed_restarted_and_paused_goes_offline_live_stalled_live(
    citywatch: CitywatchCli,
    data_dir: Path,
    rtsp_servers: RtspServerFactory,
    live_runs: LiveRunFactory,
) -> None:
    server = rtsp_servers({"walkers": Mount(data_dir / WALKERS_VIDEO, loop=True)})
    port = server.port
    add_camera(citywatch, "gate", server.url("walkers"), "--fps", "2")
    # A read timeout well beyond the pause: the hung connection is kept and simply resumes.
    run = live_runs(citywatch.home, **{**FAST_STATES, "read_timeout_s": 10})
    run.wait_for_state("gate", "live", START_TIMEOUT_S)

    mark = len(run.events)
    server.kill()  # power cut: the connection is reset
    offline = run.wait_for_state("gate", "offline", 10, since=mark)
    assert offline["error"], "an offline camera should say why"

    mark = len(run.events)
    server.restart()
    assert server.port == port
    run.wait_for_state("gate", "live", 15, since=mark)

    mark = len(run.events)
    server.pause()  # hung: the connection stays open, nothing comes
    stalled = run.wait_for_state("gate", ("stalled", "offline"), 15, since=mark)
    assert stalled["state"] == "stalled", f"a hung camera is stalled, not offline\n{run.report()}"

    mark = len(run.events)
    server.resume()
    run.wait_for_state("gate", "live", 20, since=mark)

    assert run.stop(signal.SIGINT) == 0  # Ctrl-C stops it as cleanly as SIGTERM
    assert run.states("gate") == ["starting", "live", "offline", "live", "stalled", "live"]
    assert {e["restarts"] for e in run.health("gate")} == {0}, "the worker itself never restarted"
    camera = run.summary["per_camera"]["gate"]
    assert camera["restarts"] == 0
    assert camera["connections"] == 2  # the first and after the restart; the pause cost none
    assert not run.leftovers(), "a worker outlived citywatch run"


# --- 3. broken cameras next to a healthy one -----------------------------------------------------


def test_broken_cameras_do_not_disturb_a_healthy_one(
    citywatch: CitywatchCli,
    data_dir: Path,
    rtsp_servers: RtspServerFactory,
    live_runs: LiveRunFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A healthy camera, a stream cut mid-frame that then hangs, one cut that then drops the
    connection, corrupted H.264 (every 10th frame), a port that never answers and one that
    refuses: every camera reports a state that says what is wrong, none crashes its worker, and
    the healthy camera goes live once and stays live, decoding all along. `camera list`, run from
    another process meanwhile, shows the states that `run` stores."""
    walkers = data_dir / WALKERS_VIDEO
    server = rtsp_servers(
        {
            "crowd": Mount(data_dir / CROWD_VIDEO, loop=True),
            "cut-hang": Mount(walkers, truncate_after_s=1.0, after_truncate="hang"),
            "cut-close": Mount(walkers, truncate_after_s=1.0, after_truncate="close"),
            "corrupt": Mount(walkers, loop=True, corrupt_every=10, seed=3),
        }
    )
    for name, value in FAST_STATES.items():  # the probes of `camera add` time out as quickly
        monkeypatch.setenv(f"CITYWATCH_{name.upper()}", str(value))
    with SilentPort() as silent, RefusingPort() as refusing:
        add_camera(citywatch, "healthy", server.url("crowd"), "--fps", "2")
        add_camera(citywatch, "corrupt", server.url("corrupt"), "--fps", "2")
        for name in ("cut-hang", "cut-close"):
            add_camera(citywatch, name, server.url(name), "--fps", "2", "--force")
        add_camera(citywatch, "silent", silent.url(), "--force")
        add_camera(citywatch, "refused", refusing.url(), "--force")

        run = live_runs(citywatch.home, **FAST_STATES)
        run.wait_for_state("healthy", "live", START_TIMEOUT_S)
        live_at = time.monotonic()
        run.wait_for_state("refused", "offline", 15)
        run.wait_for_state("silent", "stalled", 15)
        run.wait_for_state("cut-hang", "stalled", 15)
        run.wait_for_state("cut-close", "offline", 15)
        run.wait_for_state("corrupt", "live", 15)
        # Both cut cameras come back for another round (live again after their fault).
        for camera, fault in (("cut-hang", "stalled"), ("cut-close", "offline")):
            first_fault = run.events.index(run.wait_for_state(camera, fault, 0))
            run.wait_for_state(camera, "live", 20, since=first_fault)

        stored = camera_list(citywatch)  # another process reads what `run` writes
        for camera in ("healthy", "refused", "silent"):
            assert stored[camera]["health"]["state"] == run.states(camera)[-1], camera
        assert stored["healthy"]["health"]["state"] == "live"
        assert stored["healthy"]["assignment"] == "analysed"
        assert stored["refused"]["health"]["last_error"]

        assert run.stop(signal.SIGTERM) == 0
        running_s = time.monotonic() - live_at

    assert run.states("healthy") == ["starting", "live"], "the healthy camera never faltered"
    assert set(run.states("refused")) == {"starting", "offline"}
    assert set(run.states("silent")) == {"starting", "stalled"}
    assert {"live", "stalled"} <= set(run.states("cut-hang")) <= {"starting", "live", "stalled"}
    assert {"live", "offline"} <= set(run.states("cut-close"))
    assert "live" in run.states("corrupt")

    per_camera = run.summary["per_camera"]
    assert {camera: counts["restarts"] for camera, counts in per_camera.items()} == dict.fromkeys(
        ("corrupt", "cut-close", "cut-hang", "healthy", "refused", "silent"), 0
    )
    assert all(e["restarts"] == 0 for e in run.events if e["event"] == "health")
    # 25 frames a second all the while; half of that leaves room for a busy machine.
    assert per_camera["healthy"]["frames_decoded"] >= 0.5 * 25 * running_s
    assert per_camera["healthy"]["connections"] == 1
    assert per_camera["corrupt"]["frames_decoded"] >= 0.5 * 25 * running_s
    # FFmpeg conceals the damage, but it is counted: a damaged stream does not look clean.
    assert per_camera["corrupt"]["decode_errors"] > 0
    assert per_camera["healthy"]["decode_errors"] == 0
    for camera in ("cut-hang", "cut-close"):
        # Live again only on a new connection: a hung one never looks live before it is dropped.
        assert 2 <= run.states(camera).count("live") <= per_camera[camera]["connections"], camera
    assert per_camera["silent"]["frames_decoded"] == per_camera["refused"]["frames_decoded"] == 0
    assert not run.leftovers(), "a worker outlived citywatch run"
