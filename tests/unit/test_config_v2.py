"""Neko v2's configuration names: each maps onto our v3 keys as Neko's ``SetV2`` maps it, is warned
about once (never with its value), wins over the v3 name, and is refused when nekoapi cannot honour it."""

from __future__ import annotations

import logging
import tempfile
from typing import Any

import pytest
import yaml

from nekoapi import configdoc
from nekoapi.config import ConfigError, IceServer, PortRange, ScreenSize, keys, load_config
from nekoapi.configkeys.ladder import Rung

SECRET = "hunter2-v2-secret"
GSTREAMER = "a GStreamer pipeline; nekoapi encodes without GStreamer"


def value(config: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        config = getattr(config, part)
    return config


STUN = IceServer(urls=("stun:stun.example:3478",))
TURN = IceServer(urls=("turn:turn.example:3478", "turns:turn.example:5349"))

# v2 environment -> the v3 keys it sets, as Neko's SetV2 sets them.
MAPPED: list[tuple[dict[str, str], dict[str, Any]]] = [
    ({"NEKO_BIND": ":9000"}, {"server.bind": "0.0.0.0:9000"}),
    ({"NEKO_BIND": "127.0.0.2:9000"}, {"server.bind": "127.0.0.2:9000"}),
    ({"NEKO_PROXY": "true"}, {"server.proxy": True}),
    ({"NEKO_PATH_PREFIX": "neko/"}, {"server.path_prefix": "/neko"}),
    ({"NEKO_CORS": "https://a.example,https://b.example"}, {"server.cors": ("https://a.example", "https://b.example")}),
    ({"NEKO_LOCKS": "control"}, {"session.locked_controls": True, "session.locked_logins": False}),
    ({"NEKO_LOCKS": "login,control"}, {"session.locked_controls": True, "session.locked_logins": True}),
    ({"NEKO_LOCKS": "file_transfer"}, {"session.locked_controls": False, "session.locked_logins": False}),
    ({"NEKO_IMPLICIT_CONTROL": "true"}, {"session.implicit_hosting": True}),
    ({"NEKO_CONTROL_PROTECTION": "1"}, {"session.control_protection": True}),
    ({"NEKO_HEARTBEAT_INTERVAL": "120"}, {"session.heartbeat_interval": 120}),
    ({"NEKO_FILE_TRANSFER_ENABLED": "true"}, {"filetransfer.enabled": True}),
    ({"NEKO_FILE_TRANSFER_PATH": "/srv/files/../shared/"}, {"filetransfer.dir": "/srv/shared"}),
    ({"NEKO_DISPLAY": ":42"}, {"desktop.display": ":42"}),
    ({"NEKO_VIDEO_CODEC": "H264"}, {"capture.video.codec": "h264"}),
    ({"NEKO_VP9": "true"}, {"capture.video.codec": "vp9"}),
    ({"NEKO_AV1": "true"}, {"capture.video.codec": "av1"}),
    ({"NEKO_H264": "true", "NEKO_CAPTURE_VIDEO_CODEC": "vp9"}, {"capture.video.codec": "h264"}),
    # Neko's order: NEKO_VP8 over NEKO_VP9 over NEKO_H264 over NEKO_AV1 over NEKO_VIDEO_CODEC.
    ({"NEKO_VP8": "true", "NEKO_VP9": "true", "NEKO_VIDEO_CODEC": "h264"}, {"capture.video.codec": "vp8"}),
    ({"NEKO_H264": "true", "NEKO_AV1": "true"}, {"capture.video.codec": "h264"}),
    ({"NEKO_VP8": "false", "NEKO_VIDEO_CODEC": "vp9"}, {"capture.video.codec": "vp9"}),
    (
        {"NEKO_VIDEO_BITRATE": "3500"},
        {"capture.video.pipelines": {"main": Rung("main", bitrate=3500, min_bitrate=875, max_bitrate=3500)}},
    ),
    ({"NEKO_MAX_FPS": "30"}, {"capture.video.pipelines": {"main": Rung("main", fps=30)}}),
    (
        {"NEKO_MAX_FPS": "30", "NEKO_VIDEO_BITRATE": "1000"},
        {"capture.video.pipelines": {"main": Rung("main", fps=30, bitrate=1000, min_bitrate=250, max_bitrate=1000)}},
    ),
    ({"NEKO_MAX_FPS": "0", "NEKO_VIDEO_BITRATE": "0"}, {"capture.video.pipelines": {}}),
    ({"NEKO_HWENC": "none"}, {"capture.video.pipelines": {}}),
    ({"NEKO_DEVICE": "other.monitor"}, {"capture.audio.device": "other.monitor"}),
    ({"NEKO_AUDIO_CODEC": "PCMU"}, {"capture.audio.codec": "pcmu"}),
    ({"NEKO_OPUS": "true", "NEKO_G722": "true", "NEKO_AUDIO_CODEC": "pcma"}, {"capture.audio.codec": "opus"}),
    ({"NEKO_G722": "true", "NEKO_PCMU": "true"}, {"capture.audio.codec": "g722"}),
    ({"NEKO_PCMU": "true", "NEKO_PCMA": "true"}, {"capture.audio.codec": "pcmu"}),
    ({"NEKO_PCMA": "true"}, {"capture.audio.codec": "pcma"}),
    ({"NEKO_AUDIO_BITRATE": "96"}, {"capture.audio.bitrate": 96}),
    ({"NEKO_AUDIO_BITRATE": "0"}, {"capture.audio.bitrate": 128}),
    ({"NEKO_BROADCAST_URL": "rtmp://live.example/app/key"}, {"capture.broadcast.url": "rtmp://live.example/app/key"}),
    ({"NEKO_BROADCAST_AUTOSTART": "false"}, {"capture.broadcast.autostart": False}),
    ({"NEKO_SCREEN": "1920x1080@60"}, {"desktop.screen": ScreenSize(1920, 1080, 60)}),
    (
        {"NEKO_PASSWORD": SECRET},
        {
            "member.provider": "multiuser",
            "member.multiuser.user_password": SECRET,
            "member.multiuser.admin_password": "admin",
        },
    ),
    ({"NEKO_PASSWORD_ADMIN": SECRET}, {"member.provider": "multiuser", "member.multiuser.admin_password": SECRET}),
    (
        {"NEKO_PASSWORD": "", "NEKO_PASSWORD_ADMIN": ""},
        {"member.multiuser.user_password": "neko", "member.multiuser.admin_password": "admin"},
    ),
    ({"NEKO_NAT1TO1": "203.0.113.7,2001:db8::7"}, {"webrtc.nat1to1": ("203.0.113.7", "2001:db8::7")}),
    ({"NEKO_UDPMUX": "59000"}, {"webrtc.udpmux": 59000}),
    ({"NEKO_TCPMUX": "59000"}, {"webrtc.tcpmux": 59000}),
    ({"NEKO_IPFETCH": "https://checkip.example"}, {"webrtc.ip_retrieval_url": "https://checkip.example"}),
    ({"NEKO_ICELITE": "true"}, {"webrtc.icelite": True}),
    (
        {"NEKO_ICESERVERS": '[{"urls": ["stun:stun.example:3478"]}]'},
        {"webrtc.iceservers.frontend": (STUN,), "webrtc.iceservers.backend": (STUN,)},
    ),
    ({"NEKO_ICESERVERS": ""}, {"webrtc.iceservers.frontend": (), "webrtc.iceservers.backend": ()}),
    (
        {"NEKO_ICESERVER": "turn:turn.example:3478,turns:turn.example:5349"},
        {"webrtc.iceservers.frontend": (TURN,), "webrtc.iceservers.backend": (TURN,)},
    ),
    (
        {
            "NEKO_ICESERVERS": '[{"urls": ["stun:stun.example:3478"]}]',
            "NEKO_ICESERVER": "turn:turn.example:3478,turns:turn.example:5349",
        },
        {"webrtc.iceservers.frontend": (STUN, TURN), "webrtc.iceservers.backend": (STUN, TURN)},
    ),
    ({"NEKO_EPR": "59000-59100"}, {"webrtc.epr": PortRange(59000, 59100)}),
    ({"NEKO_EPR": "59100-59000"}, {"webrtc.epr": PortRange(59000, 59100)}),
    ({"NEKO_STATIC": tempfile.gettempdir()}, {"server.static": tempfile.gettempdir()}),
    ({"NEKO_CERT": __file__, "NEKO_KEY": __file__}, {"server.cert": __file__, "server.key": __file__}),
    ({"NEKO_CERT": "", "NEKO_KEY": "", "NEKO_STATIC": ""}, {"server.cert": "", "server.key": "", "server.static": ""}),
    ({"NEKO_LOGS": "true"}, {"log.dir": "/var/log/neko"}),
    ({"NEKO_LOGS": "false", "NEKO_LOG_DIR": "/srv/logs"}, {"log.dir": ""}),  # Neko's false clears it
    # Values that change nothing are accepted, as Neko accepts them.
    ({"NEKO_TCPMUX": "0", "NEKO_UDPMUX": "0", "NEKO_IPFETCH": ""}, {"legacy": True}),
    ({"NEKO_VIDEO": "", "NEKO_AUDIO": "", "NEKO_BROADCAST_PIPELINE": ""}, {"legacy": True}),
]

# v2 values nekoapi cannot honour: start-up stops, naming the v2 name and why.
REFUSED: list[tuple[dict[str, str], str]] = [
    (
        {"NEKO_CERT": "/certs/cert.pem", "NEKO_KEY": "/certs/key.pem"},
        "NEKO_CERT: expected a file this process can read, got '/certs/cert.pem'",
    ),
    ({"NEKO_KEY": __file__}, "NEKO_SERVER_CERT: TLS needs both server.cert and server.key; only one is set"),
    ({"NEKO_STATIC": "/no/such/www"}, "NEKO_STATIC: expected a folder that exists, got '/no/such/www'"),
    ({"NEKO_HWENC": "vaapi"}, "NEKO_HWENC: nekoapi has no hardware encoder; remove it (none: software)"),
    (
        {"NEKO_VIDEO": "ximagesrc ! vp8enc"},
        f"NEKO_VIDEO: {GSTREAMER}; set NEKO_CAPTURE_VIDEO_PIPELINES (docs/room.md)",
    ),
    (
        {"NEKO_AUDIO": "pulsesrc ! opusenc"},
        f"NEKO_AUDIO: {GSTREAMER}; set NEKO_CAPTURE_AUDIO_CODEC and NEKO_CAPTURE_AUDIO_BITRATE",
    ),
    (
        {"NEKO_BROADCAST_PIPELINE": "flvmux"},
        f"NEKO_BROADCAST_PIPELINE: {GSTREAMER}; set NEKO_CAPTURE_BROADCAST_PRESET and the bitrates",
    ),
    ({"NEKO_TCPMUX": "70000"}, "NEKO_TCPMUX: expected a TCP port from 0 to 65535, got 70000"),
    ({"NEKO_UDPMUX": "70000"}, "NEKO_UDPMUX: expected a UDP port from 0 to 65535, got 70000"),
    (
        {"NEKO_NAT1TO1": "203.0.113.7,198.51.100.2"},
        "NEKO_NAT1TO1: expected one public IPv4 address (or public/local pairs), got '198.51.100.2'",
    ),
    ({"NEKO_LOCKS": "control,screen"}, "NEKO_LOCKS: expected a list of control, login, file_transfer, got 'screen'"),
    ({"NEKO_VIDEO_CODEC": "h265"}, "NEKO_VIDEO_CODEC: expected vp8, vp9, av1 or h264, got 'h265'"),
    ({"NEKO_MAX_FPS": "90"}, "NEKO_MAX_FPS: main.fps: expected at most 60, got 90"),
    ({"NEKO_VIDEO_BITRATE": "fast"}, "NEKO_VIDEO_BITRATE: expected a whole number, got 'fast'"),
    ({"NEKO_EPR": "59000"}, "NEKO_EPR: expected a range like 59000-59100, got '59000'"),
]


def every_v2_name() -> set[str]:
    return {legacy.env for k in keys() for legacy in k.spec.legacy}


@pytest.mark.parametrize(
    ("environ", "expected"),
    MAPPED,
    ids=lambda case: ",".join(case) if isinstance(case, dict) and "NEKO_" in str(case) else None,
)
def test_a_v2_name_sets_the_v3_keys_neko_maps_it_to(environ: dict[str, str], expected: dict[str, Any]) -> None:
    config = load_config(environ)
    assert {dotted: value(config, dotted) for dotted in expected} == expected


def test_every_v2_name_neko_accepts_is_declared_and_tested() -> None:
    # Neko's InitV2 flags (server/internal/config/*.go) and its file transfer plugin's two v2 flags.
    neko = {
        *("LOGS", "CERT", "KEY", "BIND", "PROXY", "STATIC", "PATH_PREFIX", "CORS"),
        *("LOCKS", "IMPLICIT_CONTROL", "CONTROL_PROTECTION", "HEARTBEAT_INTERVAL"),
        *("FILE_TRANSFER_ENABLED", "FILE_TRANSFER_PATH", "DISPLAY", "VIDEO_CODEC", "AV1", "H264", "VP8", "VP9"),
        *("VIDEO", "VIDEO_BITRATE", "HWENC", "MAX_FPS", "DEVICE", "AUDIO_CODEC", "G722", "OPUS", "PCMA", "PCMU"),
        *("AUDIO", "AUDIO_BITRATE", "BROADCAST_PIPELINE", "BROADCAST_URL", "BROADCAST_AUTOSTART", "SCREEN"),
        *("PASSWORD", "PASSWORD_ADMIN", "NAT1TO1", "TCPMUX", "UDPMUX", "ICELITE", "ICESERVER", "ICESERVERS"),
        *("IPFETCH", "EPR"),
    }
    assert every_v2_name() == {f"NEKO_{name}" for name in neko}
    tested = {name for environ, _ in MAPPED for name in environ} | {name for environ, _ in REFUSED for name in environ}
    assert every_v2_name() - tested == set()


@pytest.mark.parametrize(
    ("environ", "message"), REFUSED, ids=lambda case: next(iter(case)) if isinstance(case, dict) else None
)
def test_a_v2_value_nekoapi_cannot_honour_stops_start_up_saying_why(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(environ)
    assert str(refused.value) == message


def test_a_v2_name_wins_over_its_v3_name_as_in_neko() -> None:
    config = load_config(
        {
            "NEKO_SCREEN": "1920x1080@60",
            "NEKO_DESKTOP_SCREEN": "800x600@30",
            "NEKO_EPR": "50000-50010",
            "NEKO_WEBRTC_EPR": "40000-40010",
            "NEKO_PASSWORD_ADMIN": SECRET,
            "NEKO_MEMBER_PROVIDER": "sqlite",
            "NEKO_MEMBER_MULTIUSER_ADMIN_PASSWORD": "v3-admin",
        }
    )
    assert config.desktop.screen == ScreenSize(1920, 1080, 60)
    assert config.webrtc.epr == PortRange(50000, 50010)
    assert (config.member.provider, config.member.multiuser.admin_password) == ("multiuser", SECRET)


def test_an_option_wins_over_a_v2_name() -> None:
    config = load_config({"NEKO_BIND": ":9000"}, flags={"server.bind": "127.0.0.1:7000"})
    assert config.server.bind == "127.0.0.1:7000"


def test_v3_video_pipelines_win_over_v2_bitrate_and_frame_rate_as_in_neko() -> None:
    config = load_config({"NEKO_MAX_FPS": "30", "NEKO_CAPTURE_VIDEO_PIPELINES": '{"hd": {"fps": 20}}'})
    assert config.capture.video.pipelines == {"hd": Rung("hd", fps=20)}


def test_only_the_named_password_is_set_and_the_other_keeps_its_v3_value() -> None:
    # Neko resets the other password to its default; a configured administrator password is kept here.
    config = load_config({"NEKO_PASSWORD": SECRET, "NEKO_MEMBER_MULTIUSER_ADMIN_PASSWORD": "v3-admin"})
    assert (config.member.multiuser.user_password, config.member.multiuser.admin_password) == (SECRET, "v3-admin")


def test_v2_names_are_read_from_the_top_of_the_file(tmp_path: Any) -> None:
    (tmp_path / "v2.yaml").write_text(
        "screen: 1024x768@25\nlocks: [login]\nnat1to1: [203.0.113.7]\niceservers:\n  - urls: [stun:stun.example:3478]\n"
    )
    config = load_config({}, str(tmp_path / "v2.yaml"))
    assert config.webrtc.iceservers.frontend == config.webrtc.iceservers.backend == (STUN,)  # a YAML list
    assert config.desktop.screen == ScreenSize(1024, 768, 25)
    assert (config.session.locked_logins, config.session.locked_controls) == (True, False)
    assert config.webrtc.nat1to1 == ("203.0.113.7",)
    # YAML's own booleans and numbers, as v2 files wrote them.
    (tmp_path / "codec.yaml").write_text("vp9: true\nh264: false\nmax_fps: 30\ntcpmux: 0\n")
    config = load_config({}, str(tmp_path / "codec.yaml"))
    assert (config.capture.video.codec, config.capture.video.pipelines) == ("vp9", {"main": Rung("main", fps=30)})
    (tmp_path / "logs.yaml").write_text(f"logs: 1\nstatic: {tmp_path}\n")
    config = load_config({}, str(tmp_path / "logs.yaml"))
    assert (config.log.dir, config.server.static) == ("/var/log/neko", str(tmp_path))


def test_each_v2_name_in_use_is_warned_about_once_naming_the_v3_keys(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "nekoapi.config")
    load_config({"NEKO_LOCKS": "control", "NEKO_ICESERVERS": "[]", "NEKO_PASSWORD": SECRET, "NEKO_TCPMUX": "0"})
    lines = [r.getMessage() for r in caplog.records]
    assert (
        lines.count(
            "NEKO_LOCKS is deprecated (a Neko v2 name): use NEKO_SESSION_LOCKED_LOGINS"
            " and NEKO_SESSION_LOCKED_CONTROLS instead"
        )
        == 1
    )
    assert (
        lines.count(
            "NEKO_ICESERVERS is deprecated (a Neko v2 name): use NEKO_WEBRTC_ICESERVERS_FRONTEND"
            " and NEKO_WEBRTC_ICESERVERS_BACKEND instead"
        )
        == 1
    )
    assert (
        lines.count(
            "NEKO_PASSWORD is deprecated (a Neko v2 name): use NEKO_MEMBER_MULTIUSER_USER_PASSWORD"
            " with NEKO_MEMBER_PROVIDER=multiuser instead"
        )
        == 1
    )
    assert lines.count("NEKO_TCPMUX is deprecated (a Neko v2 name): use NEKO_WEBRTC_TCPMUX instead") == 1
    assert len(lines) == 4


@pytest.mark.parametrize(
    "environ",
    [
        {"NEKO_PASSWORD": SECRET},
        {"NEKO_PASSWORD_ADMIN": SECRET},
        {"NEKO_ICESERVERS": f'[{{"urls": ["turn:t.example"], "username": "u", "credential": "{SECRET}"}}]'},
        {"NEKO_BROADCAST_URL": f"rtmp://live.example/app/{SECRET}"},
        {"NEKO_BROADCAST_URL": f"http://live.example/{SECRET}"},  # refused: its value is still not shown
        {"NEKO_ICESERVERS": f"not json {SECRET}"},
    ],
)
def test_a_secret_v2_value_is_never_logged_nor_shown(environ: dict[str, str], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    try:
        load_config(environ)
    except ConfigError as exc:
        assert SECRET not in str(exc) and str(exc).startswith(next(iter(environ)))
    else:
        assert "is deprecated (a Neko v2 name)" in caplog.text  # the name is warned about, not its value
    assert SECRET not in caplog.text


def test_with_legacy_off_v2_names_are_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "nekoapi.config")
    config = load_config({"NEKO_LEGACY": "false", "NEKO_SCREEN": "1920x1080@60", "NEKO_VIDEO": "ximagesrc"})
    assert (config.legacy, config.desktop.screen) == (False, ScreenSize(1280, 720, 30))
    assert "NEKO_SCREEN is a Neko v2 name, ignored because legacy is off (NEKO_LEGACY=false)" in caplog.text
    assert "NEKO_VIDEO is a Neko v2 name, ignored because legacy is off (NEKO_LEGACY=false)" in caplog.text
    assert load_config({}).legacy is True  # on unless set false, as in Neko


def test_migrating_md_holds_the_current_table_of_v2_names() -> None:
    document = configdoc.MIGRATING.read_text(encoding="utf-8")
    assert configdoc.with_v2_table(document) == document, "regenerate with: .venv/bin/python -m nekoapi.configdoc"
    assert all(f"| `{name}` |" in document for name in every_v2_name())


def test_the_v2_compose_example_of_migrating_md_starts_as_documented() -> None:
    document = configdoc.MIGRATING.read_text(encoding="utf-8")
    example = document.split("```yaml\n", 1)[1].split("```", 1)[0]
    environ = {name: str(value) for name, value in yaml.safe_load(example)["environment"].items()}
    config = load_config(environ)
    assert (config.member.provider, config.member.multiuser.admin_password) == ("multiuser", "admin")
    assert (config.desktop.screen, config.webrtc.epr) == (ScreenSize(1920, 1080, 30), PortRange(52000, 52100))
    assert (config.webrtc.nat1to1, config.webrtc.icelite) == (("203.0.113.7",), True)
