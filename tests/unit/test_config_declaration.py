"""A key is one declaration: its default, meaning, parser, check, secrecy, option and Neko v2 names.

The small trees here are declared the way nekoapi/configkeys/ declares the real one, so the machinery
(sources, secrets, v2 names, refusals) is tested as a new key would use it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from nekoapi.config import ConfigError, env_names, keys, load_config
from nekoapi.configkeys.declare import Legacy, key, section
from nekoapi.configkeys.desktop import DEFAULT_SCREEN, ScreenSize, parse_screen
from nekoapi.configkeys.values import positive

SENTINEL = "hunter2-declared"


def _even(value: int) -> str | None:
    return None if value % 2 == 0 else "expected an even number"


def _pin_needs_code(config: Any) -> str | None:
    return "needed when demo.secure.code is set" if config.demo.secure.code and not config.demo.secure.pin else None


@dataclass(frozen=True)
class Secure:
    code: str = key("", "a secret code", check=lambda v: None if len(v) >= 8 else "too short", secret=True)
    pin: int = key(0, "an even pin", check=_even, cross_check=_pin_needs_code, secret=True)
    label: str = key("", "not a secret", check=lambda v: None if v.isalpha() else "letters only")


@dataclass(frozen=True)
class Demo:
    count: int = key(1, "how many", check=positive, flag="--count")
    # Neko v2 names: screen sets this key and wins over it; video is refused with its reason.
    screen: ScreenSize = key(DEFAULT_SCREEN, "screen size", parse=parse_screen, legacy=(Legacy("screen"),))
    pipeline: str = key("", "a pipeline", legacy=(Legacy("video", refused="a GStreamer pipeline; not supported"),))
    mode: Literal["single", "multi"] = key("single", "the mode")
    # v2's password also switches the mode; v2's one mirror is a list of one here.
    password: str = key("", "a password", secret=True, legacy=(Legacy("password", implies={"demo.mode": "multi"}),))
    mirrors: tuple[str, ...] = key(
        (), "mirrors", legacy=(Legacy("mirror", convert=lambda raw, so_far: [raw, "backup"]),)
    )
    secure: Secure = section(Secure)


@dataclass(frozen=True)
class Tree:
    demo: Demo = section(Demo)


def load(environ: dict[str, str], file: str | None = None, flags: dict[str, str] | None = None) -> Any:
    return load_config(environ, file, flags, tree=Tree)


def refusal(environ: dict[str, str], file: str | None = None) -> str:
    with pytest.raises(ConfigError) as refused:
        load(environ, file)
    return str(refused.value)


def test_a_declared_key_is_read_from_the_file_the_environment_and_its_option(tmp_path: Any) -> None:
    assert [k.dotted for k in keys(Tree)] == [
        "demo.count",
        "demo.screen",
        "demo.pipeline",
        "demo.mode",
        "demo.password",
        "demo.mirrors",
        "demo.secure.code",
        "demo.secure.pin",
        "demo.secure.label",
    ]
    assert "NEKO_DEMO_SECURE_PIN" in env_names(Tree)
    (tmp_path / "t.yaml").write_text("demo:\n  count: 3\n")
    assert load({}).demo.count == 1
    assert load({}, str(tmp_path / "t.yaml")).demo.count == 3
    assert load({"NEKO_DEMO_COUNT": "4"}, str(tmp_path / "t.yaml")).demo.count == 4
    assert load({"NEKO_DEMO_COUNT": "4"}, flags={"demo.count": "5"}).demo.count == 5
    assert refusal({"NEKO_DEMO_COUNT": "0"}) == "NEKO_DEMO_COUNT: expected a number above 0, got 0"


def test_a_secret_value_is_never_shown_in_a_refusal_and_others_are() -> None:
    assert refusal({"NEKO_DEMO_SECURE_CODE": SENTINEL[:5]}) == "NEKO_DEMO_SECURE_CODE: too short"
    assert refusal({"NEKO_DEMO_SECURE_PIN": "13579"}) == "NEKO_DEMO_SECURE_PIN: expected an even number"
    assert refusal({"NEKO_DEMO_SECURE_PIN": SENTINEL}) == "NEKO_DEMO_SECURE_PIN: expected a whole number"
    assert refusal({"NEKO_DEMO_SECURE_CODE": SENTINEL}) == "NEKO_DEMO_SECURE_PIN: needed when demo.secure.code is set"
    assert refusal({"NEKO_DEMO_SECURE_LABEL": "a1"}) == "NEKO_DEMO_SECURE_LABEL: letters only, got 'a1'"


def test_a_v2_name_sets_its_key_and_wins_over_the_v3_name(tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "nekoapi.config")
    both = {"NEKO_DEMO_SCREEN": "800x600@30", "NEKO_SCREEN": "1920x1080@60"}
    assert load(both).demo.screen == ScreenSize(1920, 1080, 60)
    assert "NEKO_SCREEN is deprecated (a Neko v2 name): use NEKO_DEMO_SCREEN instead" in caplog.text
    # In the file a v2 name sits at the top, as Neko v2 wrote it; set anywhere, it wins (Neko's IsSet).
    (tmp_path / "v2.yaml").write_text("screen: 1024x768@25\n")
    assert load({"NEKO_DEMO_SCREEN": "800x600@30"}, str(tmp_path / "v2.yaml")).demo.screen == ScreenSize(1024, 768, 25)
    assert load({"NEKO_DEMO_SCREEN": "800x600@30"}).demo.screen == ScreenSize(800, 600, 30)
    assert "NEKO_SCREEN" not in env_names(Tree)  # the help lists v3 names


def test_a_v2_name_may_convert_its_value_and_set_other_keys() -> None:
    config = load({"NEKO_DEMO_MODE": "single", "NEKO_PASSWORD": SENTINEL, "NEKO_MIRROR": "m1"}).demo
    assert (config.password, config.mode, config.mirrors) == (SENTINEL, "multi", ("m1", "backup"))
    assert load({"NEKO_DEMO_MODE": "single", "NEKO_DEMO_PASSWORD": SENTINEL}).demo.mode == "single"


def test_a_refused_v2_name_stops_start_up_with_its_reason(tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "nekoapi.config")
    assert refusal({"NEKO_VIDEO": "ximagesrc ! vp8enc"}) == "NEKO_VIDEO: a GStreamer pipeline; not supported"
    assert "NEKO_VIDEO" not in caplog.text  # never taken as the key's value, not even for a moment
    (tmp_path / "v2.yaml").write_text("video: ximagesrc\n")
    assert refusal({}, str(tmp_path / "v2.yaml")) == "video: a GStreamer pipeline; not supported"


@dataclass(frozen=True)
class Loose:
    count: int = 1


@dataclass(frozen=True)
class LooseTree:
    loose: Loose = section(Loose)


def test_a_field_declared_without_key_is_a_declaration_mistake() -> None:
    with pytest.raises(TypeError, match=r"Loose\.count: declare it with configkeys\.declare\.key\(\)"):
        keys(LooseTree)


# --- the real tree ---


def test_every_key_that_holds_a_credential_is_secret() -> None:
    secret = {k.dotted for k in keys() if k.spec.secret}
    credentials = {k.dotted for k in keys() if any(w in k.dotted for w in ("password", "token", "iceservers"))}
    # URLs that may carry a password or a stream key, and users with their passwords.
    carriers = {"redis.url", "member.postgres.url", "capture.broadcast.url", "member.object.users"}
    assert credentials | carriers <= secret


@pytest.mark.parametrize(
    ("environ", "said"),
    [
        ({"NEKO_SESSION_API_TOKEN": SENTINEL}, "NEKO_SESSION_API_TOKEN: must be at least 32 characters"),
        ({"NEKO_CAPTURE_BROADCAST_URL": f"http://x/{SENTINEL}"}, "NEKO_CAPTURE_BROADCAST_URL: expected an rtmp://"),
        ({"NEKO_MEMBER_OBJECT_USERS": f'[{{"password": "{SENTINEL}"}}]'}, "NEKO_MEMBER_OBJECT_USERS: every user"),
    ],
)
def test_real_secrets_are_never_shown_in_a_refusal(environ: dict[str, str], said: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(environ)
    assert str(refused.value).startswith(said)
    assert SENTINEL not in str(refused.value)
