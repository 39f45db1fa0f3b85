"""Stream URLs: credentials never shown, split off and joined back intact; what we can open."""

from __future__ import annotations

from pathlib import Path

import pytest

from citywatch.errors import InputError
from citywatch.ingest.urls import (
    check_stream_url,
    join_credentials,
    redact_text,
    redact_url,
    split_credentials,
)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("rtsp://admin:secretpw@10.0.0.7:554/stream1", "rtsp://***@10.0.0.7:554/stream1"),
        ("rtsps://admin:secretpw@cam.example/live", "rtsps://***@cam.example/live"),
        ("http://admin:secretpw@cam.example/mjpeg?x=1", "http://***@cam.example/mjpeg?x=1"),
        (
            "https://admin:secretpw@cam.example:8443/hls.m3u8",
            "https://***@cam.example:8443/hls.m3u8",
        ),
        ("RTSP://Admin:secretpw@10.0.0.7/x", "RTSP://***@10.0.0.7/x"),
        ("rtsp://admin:secretpw@10.0.0.7", "rtsp://***@10.0.0.7"),
        ("rtsp://justuser@10.0.0.7/x", "rtsp://***@10.0.0.7/x"),
        ("rtsp://admin:p%40secretpw@10.0.0.7/x", "rtsp://***@10.0.0.7/x"),
        # FFmpeg accepts an unencoded '@' in the password: all of it is hidden, not the tail.
        ("rtsp://admin:se@cretpw@10.0.0.7/x", "rtsp://***@10.0.0.7/x"),
    ],
)
def test_redact_url_hides_the_userinfo_in_any_scheme(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert "secretpw" not in redact_url(url)
    assert "cretpw" not in redact_url(url)


@pytest.mark.parametrize(
    "url",
    ["rtsp://10.0.0.7:554/stream1", "https://cam.example/a@b.jpg", "/srv/video/door@night.mp4"],
)
def test_urls_without_credentials_are_shown_unchanged(url: str) -> None:
    assert redact_url(url) == url


def test_redact_text_hides_credentials_inside_ffmpeg_messages() -> None:
    message = (
        "[Errno 111] Connection refused: 'rtsp://admin:secretpw@10.0.0.7:554/x'; retried "
        "http://viewer:secretpw@10.0.0.8/mjpeg twice"
    )

    shown = redact_text(message)

    assert "secretpw" not in shown
    assert "admin" not in shown and "viewer" not in shown
    assert shown == (
        "[Errno 111] Connection refused: 'rtsp://***@10.0.0.7:554/x'; retried "
        "http://***@10.0.0.8/mjpeg twice"
    )


def test_redact_text_leaves_an_email_address_after_a_url_alone() -> None:
    message = "rtsp://10.0.0.7/x refused; write to ops@example.org"

    assert redact_text(message) == message


@pytest.mark.parametrize(
    ("url", "bare", "userinfo"),
    [
        (
            "rtsp://admin:secretpw@10.0.0.7:554/stream1",
            "rtsp://10.0.0.7:554/stream1",
            "admin:secretpw",
        ),
        (
            "http://viewer:pw@cam.example:8080/a/b/video.mjpg?res=hd&fps=25",
            "http://cam.example:8080/a/b/video.mjpg?res=hd&fps=25",
            "viewer:pw",
        ),
        (
            "rtsp://admin:p%40ss%3Aw%2Frd@[fe80::1]:8554/x",
            "rtsp://[fe80::1]:8554/x",
            "admin:p%40ss%3Aw%2Frd",
        ),
        ("rtsps://onlyuser@cam.example/live", "rtsps://cam.example/live", "onlyuser"),
    ],
)
def test_split_then_join_gives_back_the_url(url: str, bare: str, userinfo: str) -> None:
    split = split_credentials(url)

    assert split == (bare, userinfo)
    assert join_credentials(*split) == url


@pytest.mark.parametrize(
    "url", ["rtsp://10.0.0.7:554/stream1?channel=2", "/srv/video/door.mp4", "file:///srv/a.mp4"]
)
def test_a_url_without_credentials_splits_to_itself(url: str) -> None:
    assert split_credentials(url) == (url, None)
    assert join_credentials(url, None) == url


@pytest.mark.parametrize(
    "url",
    [
        "rtsp://10.0.0.7:554/stream1",
        "rtsps://cam.example/live",
        "http://cam.example/mjpeg",
        "https://cam.example/hls.m3u8",
        "file:///srv/video/door.mp4",
        "/srv/video/door.mp4",
        "video/door.mp4",
        "rtsp://admin:secretpw@10.0.0.7/x",
    ],
)
def test_check_stream_url_accepts_streams_and_plain_paths(url: str) -> None:
    assert check_stream_url(f"  {url}\n") == url


def test_check_stream_url_accepts_an_existing_file_whose_name_has_a_colon(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "door:2.mp4").write_bytes(b"")

    assert check_stream_url("door:2.mp4") == "door:2.mp4"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("ftp://admin:secretpw@10.0.0.7/x.mp4", "unsupported stream URL"),
        ("javascript:alert(document.cookie)", "unsupported stream URL"),
        ("javascript://admin:secretpw@x/%0aalert(1)", "unsupported stream URL"),
        ("rtsp:///stream1", "no host"),
        ("rtsp://admin:secretpw@/stream1", "no host"),
        ("http://admin:secretpw@:8080/x", "no host"),
    ],
)
def test_check_stream_url_refuses_what_we_cannot_open_without_leaking(
    url: str, expected: str
) -> None:
    with pytest.raises(InputError, match=expected) as raised:
        check_stream_url(url)

    message = str(raised.value)
    assert "secretpw" not in message
    assert redact_url(url) in message  # names the input, as it may be shown


def test_credentials_typed_without_a_scheme_are_redacted_too() -> None:
    assert redact_text("'admin:s3cret@127.0.0.1:9/x': unsupported") == (
        "'***@127.0.0.1:9/x': unsupported"
    )
    assert redact_text("write to bob@example.org") == "write to bob@example.org"
