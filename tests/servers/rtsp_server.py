#!/usr/bin/python3
"""A real RTSP server for the integration tests: video clips served as live cameras, with faults.

Runs on the system Python (`/usr/bin/python3`) with Debian's GStreamer bindings (`python3-gi`,
`gir1.2-gst-rtsp-server-1.0`, `gstreamer1.0-plugins-{base,good,bad}`), never in the venv: it
imports nothing but the standard library and `gi`. `tests/integration/rtsp.py` drives it.

    rtsp_server.py --port 0 --mount walkers=clip.mp4:loop --mount bad=clip.mp4:loop,corrupt=10
    rtsp_server.py --config server.json   # {"port": 0, "mounts": {"walkers": {"path": ...}}}
    rtsp_server.py --check                # exit 0 when every GStreamer element it needs is there

Once it listens it prints one line, `READY rtsp://127.0.0.1:PORT`, to stdout (port 0 picks a free
port); everything else goes to stderr. SIGTERM or SIGINT closes every connection and exits 0.

Design: each clip is demuxed once, at start-up, into H.264 access units held in memory
(byte-stream, SPS/PPS before every keyframe). Each client gets its own pipeline, `appsrc !
rtph264pay`, fed those units from the clip's first frame: nothing is decoded or encoded (a stream
costs about what copying its bytes costs), and every client receives exactly the same frames. The
server's sinks send each packet when the clock reaches its timestamp, so the clip plays at its
native frame rate; looping adds one clip duration to the timestamps of each further pass.

Mount options (a comma list after the path's last `:`, or JSON keys):
    loop            replay forever (default: play once, then end the stream)
    once            (not with loop or fast) a camera that plays its clip once and is then gone: as
                    soon as one client's stream reaches the clip's end, the mount is removed and
                    every later DESCRIBE gets 404 Not Found; clients that leave earlier (a probe)
                    use nothing up
    shared          one pipeline for every client, later ones join mid-clip (default: one per
                    client, each from the clip's start)
    fast            no pacing: send as fast as the client reads (default: real time)
    corrupt=N       overwrite `garbage` bytes (default 64) of every N-th access unit that is not
                    a keyframe with random bytes from `seed` (default 0): the same bytes on every
                    pass, for every client, in every run; no start code is ever created
    truncate=S      after S seconds of stream time send the first half of the next access unit (a
                    cut mid-GOP), then, by `after`: `hang` (default) sends nothing more but keeps
                    the RTSP session open and answered; `eos` ends the stream (the client reads
                    end of file); `close` drops the client's TCP connection with no TEARDOWN

Limits: H.264 video only (other tracks are ignored), one frame per access unit and one slice per
frame (an FFmpeg client splits multi-slice frames: they decode as corrupt), constant frame
rate. Clips without presentation times (AVI with B-frames, raw `.h264`) get them from the
pictures' order counts (POC type 0; other POC types are taken to be in display order).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import signal
import sys
import weakref
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstApp, GstRtspServer  # noqa: E402

NEEDED_ELEMENTS = ("filesrc", "parsebin", "h264parse", "appsink", "appsrc", "rtph264pay")
AFTER_TRUNCATE = ("hang", "eos", "close")
DELTA = Gst.BufferFlags.DELTA_UNIT
HIGH_PROFILES = (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135)


def log(message: str) -> None:
    print(f"rtsp_server: {message}", file=sys.stderr, flush=True)


# --- display order from H.264 picture order counts ---------------------------------------------


class Bits:
    """Exp-Golomb reader over a NAL unit's payload, emulation prevention bytes removed."""

    def __init__(self, nal: bytes) -> None:
        self.data, self.at = nal.replace(b"\x00\x00\x03", b"\x00\x00"), 8  # past the NAL header

    def u(self, count: int) -> int:
        value = 0
        for _ in range(count):
            byte = self.data[self.at >> 3] if self.at >> 3 < len(self.data) else 0
            value, self.at = (value << 1) | (byte >> (7 - (self.at & 7)) & 1), self.at + 1
        return value

    def ue(self) -> int:
        zeros = 0
        while not self.u(1) and zeros < 32:
            zeros += 1
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        value = self.ue()
        return (value + 1) // 2 if value & 1 else -(value // 2)


def parse_sps(nal: bytes) -> tuple[int, dict[str, int]]:
    """The SPS id and the fields a slice header's picture order count depends on."""
    bits = Bits(nal)
    profile = bits.u(8)
    bits.u(16)  # constraint flags, level
    sps_id, sps = bits.ue(), {"separate_colour_plane": 0}
    if profile in HIGH_PROFILES:
        chroma_format = bits.ue()
        if chroma_format == 3:
            sps["separate_colour_plane"] = bits.u(1)
        bits.ue(), bits.ue(), bits.u(1)  # bit depths, qpprime_y_zero_transform_bypass
        if bits.u(1):  # scaling matrices: skip them
            for index in range(12 if chroma_format == 3 else 8):
                if bits.u(1):
                    last = following = 8
                    for _ in range(16 if index < 6 else 64):
                        following = (last + bits.se()) % 256 if following else 0
                        last = following or last
    sps["frame_num_bits"], sps["poc_type"] = bits.ue() + 4, bits.ue()
    if sps["poc_type"] == 0:
        sps["poc_lsb_bits"] = bits.ue() + 4
    elif sps["poc_type"] == 1:
        bits.u(1), bits.se(), bits.se()
        for _ in range(bits.ue()):
            bits.se()
    bits.ue(), bits.u(1), bits.ue(), bits.ue()  # ref frames, gaps, width, height
    sps["frame_mbs_only"] = bits.u(1)
    return sps_id, sps


def display_order(access_units: list[bytes]) -> list[int]:
    """Each access unit's index in display order (H.264 spec 8.2.1.1, POC type 0)."""
    all_sps: dict[int, dict[str, int]] = {}
    pps_to_sps: dict[int, int] = {}
    keys: list[tuple[int, int, int]] = []
    sequence = prev_msb = prev_lsb = 0
    for index, unit in enumerate(access_units):
        key = (sequence, index, index)
        nals = [part.rstrip(b"\x00") for part in unit.split(b"\x00\x00\x01")[1:]]
        for nal in filter(None, nals):
            nal_type, is_reference = nal[0] & 0x1F, nal[0] & 0x60
            if nal_type == 7:
                sps_id, sps = parse_sps(nal)
                all_sps[sps_id] = sps
            elif nal_type == 8:
                bits = Bits(nal)
                pps_id = bits.ue()
                pps_to_sps[pps_id] = bits.ue()
            elif nal_type in (1, 5):
                bits = Bits(nal)
                bits.ue(), bits.ue()  # first_mb_in_slice, slice_type
                sps = all_sps[pps_to_sps[bits.ue()]]
                if nal_type == 5:
                    sequence, prev_msb, prev_lsb = sequence + 1, 0, 0
                if sps["poc_type"] != 0:
                    key = (sequence, index, index)
                    break
                bits.u(2 * sps["separate_colour_plane"] + sps["frame_num_bits"])
                if not sps["frame_mbs_only"] and bits.u(1):
                    bits.u(1)  # bottom_field_flag
                if nal_type == 5:
                    bits.ue()  # idr_pic_id
                lsb, half = bits.u(sps["poc_lsb_bits"]), 1 << (sps["poc_lsb_bits"] - 1)
                msb = prev_msb
                if lsb < prev_lsb and prev_lsb - lsb >= half:
                    msb += 2 * half
                elif lsb > prev_lsb and lsb - prev_lsb > half:
                    msb -= 2 * half
                if is_reference:
                    prev_msb, prev_lsb = msb, lsb
                key = (sequence, msb + lsb, index)
                break
        keys.append(key)
    display = [0] * len(keys)
    for position, index in enumerate(sorted(range(len(keys)), key=keys.__getitem__)):
        display[index] = position
    return display


# --- clips ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessUnit:
    data: bytes
    pts: int
    dts: int
    keyframe: bool


@dataclass(frozen=True)
class Clip:
    caps: str
    units: tuple[AccessUnit, ...]
    frame_ns: int
    duration_ns: int
    """One pass: each further pass is sent this much later."""


def load_clip(path: Path) -> Clip:
    """Demux the clip's H.264 track into access units with presentation and decode times (ns)."""
    pipeline = Gst.parse_launch(
        "filesrc name=file ! parsebin ! h264parse config-interval=-1 "
        "! video/x-h264,stream-format=byte-stream,alignment=au ! appsink name=sink sync=false"
    )
    pipeline.get_by_name("file").set_property("location", str(path))
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    samples = []
    try:
        while (sample := sink.try_pull_sample(Gst.SECOND)) is not None or not sink.is_eos():
            error = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
            if error is not None:
                raise ValueError(f"{path}: {error.parse_error()[0].message}")
            if sample is not None:
                samples.append(sample)
    finally:
        pipeline.set_state(Gst.State.NULL)
    if not samples:
        raise ValueError(f"{path}: no H.264 video track")
    caps = samples[0].get_caps().copy()
    buffers = [sample.get_buffer() for sample in samples]
    datas = [buffer.extract_dup(0, buffer.get_size()) for buffer in buffers]
    unset = Gst.CLOCK_TIME_NONE
    dts = [buffer.dts if buffer.dts != unset else buffer.pts for buffer in buffers]
    if unset not in dts and len(dts) > 1:
        # Decode times are evenly spaced; an AVI's declared rate may count its empty packets.
        frame_ns = round((dts[-1] - dts[0]) / (len(dts) - 1))
    else:
        found, numerator, denominator = caps.get_structure(0).get_fraction("framerate")
        frame_ns = (
            Gst.SECOND * denominator // numerator if found and numerator else Gst.SECOND // 25
        )
        dts = [index * frame_ns for index in range(len(buffers))]
    pts = [buffer.pts for buffer in buffers]
    if unset in pts:
        display = display_order(datas)
        delay = max(index - shown for index, shown in enumerate(display))
        pts = [dts[0] + (shown + delay) * frame_ns for shown in display]
    start = min(*pts, *dts)
    units = tuple(
        AccessUnit(data, shown - start, decoded - start, not buffer.has_flags(DELTA))
        for data, shown, decoded, buffer in zip(datas, pts, dts, buffers, strict=True)
    )
    divisor = math.gcd(Gst.SECOND, frame_ns)
    caps.set_value("framerate", Gst.Fraction(Gst.SECOND // divisor, frame_ns // divisor))
    return Clip(caps.to_string(), units, frame_ns, max(pts) + frame_ns - min(pts))


def corrupted(
    units: tuple[AccessUnit, ...], every: int, garbage: int, seed: int
) -> tuple[AccessUnit, ...]:
    """The units, every `every`-th one that is not a keyframe partly overwritten, repeatably.

    The garbage lands in the unit's second half (slice data, past the slice header) and holds no
    zero byte, so no start code appears and the NAL structure stays intact.
    """
    changed = list(units)
    for index in range(every, len(units), every):
        unit = units[index]
        if unit.keyframe or len(unit.data) < 4 * garbage:
            continue
        rng = random.Random(f"{seed}:{index}")
        at = rng.randrange(len(unit.data) // 2, len(unit.data) - garbage)
        noise = bytes(rng.randrange(1, 256) for _ in range(garbage))
        changed[index] = replace(unit, data=unit.data[:at] + noise + unit.data[at + garbage :])
    return tuple(changed)


# --- serving -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mount:
    name: str
    path: Path
    loop: bool = False
    once: bool = False
    shared: bool = False
    fast: bool = False
    corrupt: int = 0
    garbage: int = 64
    seed: int = 0
    truncate: float | None = None
    after: str = "hang"

    @classmethod
    def from_options(cls, name: str, path: str, options: dict[str, object]) -> Mount:
        kinds = {"loop": bool, "once": bool, "shared": bool, "fast": bool}
        kinds |= {"truncate": float, "after": str}
        known = {field.name for field in fields(cls)} - {"name", "path"}
        if set(options) - known:
            raise ValueError(f"mount {name!r}: unknown {sorted(set(options) - known)}")
        values = {}
        for key, value in options.items():
            kind = kinds.get(key, int)
            if kind is bool and isinstance(value, str):
                value = value.lower() not in ("0", "false", "no")
            values[key] = kind(value)
        mount = cls(name, Path(path), **values)
        if mount.once and (mount.loop or mount.fast):
            # Unpaced, a pipeline reaches the clip's end at once, however early its client leaves.
            raise ValueError(f"mount {name!r}: once goes with neither loop nor fast")
        if mount.after not in AFTER_TRUNCATE:
            raise ValueError(f"mount {name!r}: after={mount.after!r}, expected {AFTER_TRUNCATE}")
        if not mount.path.is_file():
            raise ValueError(f"mount {name!r}: {mount.path} is not a file")
        return mount

    @classmethod
    def parse(cls, spec: str) -> Mount:
        """`NAME=PATH[:OPTION,OPTION=VALUE,...]`; a PATH that exists as given keeps its colons."""
        name, equals, rest = spec.partition("=")
        path, colon, listed = rest.rpartition(":")
        if not colon or Path(rest).exists():
            path, listed = rest, ""
        if not (equals and name and path):
            raise ValueError(f"--mount {spec!r}: expected NAME=PATH[:OPTIONS]")
        items = (item.partition("=") for item in listed.split(",") if item)
        return cls.from_options(name, path, {key: value or True for key, _, value in items})


class Feeder:
    """Feeds one pipeline's appsrc, one access unit per request, from the clip's first frame."""

    def __init__(
        self,
        mount: Mount,
        clip: Clip,
        units: tuple[AccessUnit, ...],
        played: Callable[[], None] = lambda: None,
    ) -> None:
        self.mount, self.clip, self.units, self.played = mount, clip, units, played
        self.sent, self.done = 0, False
        self.client: GstRtspServer.RTSPClient | None = None
        self.cut_at = -1
        if mount.truncate is not None:
            self.cut_at = round(mount.truncate * Gst.SECOND / clip.frame_ns)

    def need_data(self, source: GstApp.AppSrc, _length: int) -> None:
        if self.done:
            return
        passes, index = divmod(self.sent, len(self.units))
        if passes and not self.mount.loop:
            self.done = True
            source.end_of_stream()
            self.played()
            return
        unit, offset = self.units[index], passes * self.clip.duration_ns
        data = unit.data
        if self.sent == self.cut_at:
            data, self.done = data[: len(data) // 2], True
            log(f"/{self.mount.name}: cut after {self.sent} frames, then {self.mount.after}")
        buffer = Gst.Buffer.new_wrapped(data)
        buffer.pts, buffer.dts = unit.pts + offset, unit.dts + offset
        buffer.duration = self.clip.frame_ns
        if not unit.keyframe:
            buffer.set_flags(DELTA)
        source.push_buffer(buffer)
        self.sent += 1
        if self.done and self.mount.after == "eos":
            source.end_of_stream()
        elif self.done and self.mount.after == "close":
            # Close when the cut unit is due at the client, not now: the pipeline runs ahead.
            clock, now = source.get_clock(), buffer.pts
            if clock is not None and not self.mount.fast:
                now = clock.get_time() - source.get_base_time()
            GLib.timeout_add(max(0, buffer.pts - now) // Gst.MSECOND, self.close_client)

    def close_client(self) -> bool:
        if self.client is not None:
            self.client.close()
        return GLib.SOURCE_REMOVE


FEEDERS: weakref.WeakValueDictionary[str, Feeder] = weakref.WeakValueDictionary()
"""Each live pipeline's feeder, by pipeline name; the pipeline's signal handler keeps it alive."""


class ClipFactory(GstRtspServer.RTSPMediaFactory):
    """One mount: a new `appsrc ! rtph264pay` pipeline per client (or one for all, if shared)."""

    def __init__(
        self, mount: Mount, clip: Clip, mount_points: GstRtspServer.RTSPMountPoints
    ) -> None:
        super().__init__()
        self.mount, self.clip, self.units, self.created = mount, clip, clip.units, 0
        self.mount_points = mount_points
        if mount.corrupt:
            self.units = corrupted(clip.units, mount.corrupt, mount.garbage, mount.seed)
        self.set_shared(mount.shared)
        if mount.fast:
            self.connect("media-configure", unpace)

    def do_create_element(self, _url: GstRtspServer.RTSPUrl) -> Gst.Element:
        self.created += 1
        name = f"{self.mount.name}-{self.created}"
        element = Gst.parse_bin_from_description(
            "appsrc name=source format=time ! rtph264pay name=pay0 pt=96 config-interval=-1", False
        )
        element.set_name(name)
        source = element.get_by_name("source")
        source.set_property("caps", Gst.Caps.from_string(self.clip.caps))
        feeder = FEEDERS[name] = Feeder(self.mount, self.clip, self.units, self.played)
        source.connect("need-data", feeder.need_data)
        log(f"/{self.mount.name}: new stream {name}")
        return element

    def played(self) -> None:
        """A client was sent the whole clip: a `once` mount is gone from now on (404)."""
        if self.mount.once:
            self.mount_points.remove_factory(f"/{self.mount.name}")
            log(f"/{self.mount.name}: played once, removed")


def unpace(_factory: ClipFactory, media: GstRtspServer.RTSPMedia) -> None:
    """Make the media's sinks send as soon as they get data, not when the clock says so.

    The sinks appear at SETUP and are set to sync more than once, so hold them at `sync=false`.
    """

    def unsync(element: Gst.Element, *_: object) -> None:
        if element.get_property("sync"):
            element.set_property("sync", False)

    def added(_pipeline: Gst.Bin, _bin: Gst.Bin, element: Gst.Element) -> None:
        if element.find_property("sync") is not None:
            unsync(element)
            element.connect("notify::sync", unsync)

    media.get_element().get_parent().connect("deep-element-added", added)


def play_requested(client: GstRtspServer.RTSPClient, context: GstRtspServer.RTSPContext) -> None:
    """Tell the media's feeder its client, so that `after=close` can drop the connection."""
    if context.sessmedia is not None:
        feeder = FEEDERS.get(context.sessmedia.get_media().get_element().get_name())
        if feeder is not None:
            feeder.client = client


def client_connected(_server: GstRtspServer.RTSPServer, client: GstRtspServer.RTSPClient) -> None:
    client.connect("play-request", play_requested)
    client.connect("closed", lambda _client: log("client closed"))
    log(f"client connected from {client.get_connection().get_ip()}")


def quit_on_eof(
    _channel: GLib.IOChannel, _condition: GLib.IOCondition, loop: GLib.MainLoop
) -> bool:
    log("stdin closed: stopping")
    loop.quit()
    return GLib.SOURCE_REMOVE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, help="0 picks a free port (default 8554)")
    parser.add_argument("--mount", action="append", default=[], metavar="NAME=PATH[:OPTIONS]")
    parser.add_argument("--config", type=Path, help='JSON {"port": N, "mounts": {NAME: {...}}}')
    parser.add_argument("--check", action="store_true", help="check GStreamer, then exit")
    parser.add_argument(
        "--stop-on-stdin-eof", action="store_true", help="exit when stdin closes (parent died)"
    )
    args = parser.parse_args(argv)
    Gst.init(None)
    missing = [name for name in NEEDED_ELEMENTS if Gst.ElementFactory.find(name) is None]
    if missing:
        log(f"GStreamer elements {missing} missing: install gstreamer1.0-plugins-{{base,good,bad}}")
        return 1
    if args.check:
        return 0
    try:
        config = json.loads(args.config.read_text()) if args.config else {}
        mounts = [Mount.parse(spec) for spec in args.mount]
        for name, options in config.get("mounts", {}).items():
            options = dict(options)
            mounts.append(Mount.from_options(name, options.pop("path"), options))
        clips = {path: load_clip(path) for path in {mount.path for mount in mounts}}
    except (ValueError, KeyError, TypeError, OSError) as error:
        log(f"bad configuration: {error}")
        return 2
    port = args.port if args.port is not None else config.get("port", 8554)

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    for mount in mounts:
        factory = ClipFactory(mount, clips[mount.path], server.get_mount_points())
        server.get_mount_points().add_factory(f"/{mount.name}", factory)
        log(f"/{mount.name}: {mount.path.name}, {len(factory.units)} frames, {mount}")
    server.connect("client-connected", client_connected)
    if not server.attach(None):
        log(f"could not listen on 127.0.0.1:{port}")
        return 1
    loop = GLib.MainLoop()
    for number in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, number, loop.quit)
    if args.stop_on_stdin_eof:
        # The test that started us may die without stopping us; its end of our stdin closes then.
        GLib.io_add_watch(
            GLib.IOChannel.unix_new(0), GLib.PRIORITY_DEFAULT, GLib.IO_HUP, quit_on_eof, loop
        )
    print(f"READY rtsp://127.0.0.1:{server.get_bound_port()}", flush=True)
    loop.run()
    server.client_filter(lambda *_: GstRtspServer.RTSPFilterResult.REMOVE, None)
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
