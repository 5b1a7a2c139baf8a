"""``log.time``, ``log.nocolor``, ``log.dir`` and ``debug``, as Neko's root.go defines them: the lines an
operator reads change as asked, the access lines' fast path included."""

from __future__ import annotations

import io
import logging
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from nekoapi import logs
from nekoapi.config import load_config
from tests.support.patience import REPLY

GREEN_INFO = "\x1b[32mINFO\x1b[0m"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def served_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Logging as ``nekoapi serve`` sets it up, undone afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    connexion = logging.getLogger("connexion").level
    monkeypatch.setattr(logs, "_writer", None)
    monkeypatch.setattr(logs, "_served", None)
    try:
        yield
    finally:
        root.handlers[:], root.level = handlers, level
        logging.getLogger("connexion").setLevel(connexion)


def written(read: object, count: int) -> list[str]:
    """The first ``count`` lines ``read()`` gives, once the writer thread has written them."""
    deadline = time.monotonic() + REPLY
    while True:
        lines = str(read()).splitlines()  # type: ignore[operator]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.01)


def log_two_lines() -> None:
    """An access line (the fast path) and an ordinary record."""
    access = logs.access_lines()
    assert access is not None
    access.write("GET", "/health", 200, 0.0004, "healthcheck", "127.0.0.1", None)
    logging.getLogger("nekoapi.test").info("after")


@pytest.mark.parametrize(("time_format", "digits"), [("unix", 10), ("unixms", 13), ("unixmicro", 16)])
def test_nekos_unix_times_start_plain_lines_and_are_numbers_in_json(time_format: str, digits: int) -> None:
    stream = io.StringIO()
    logs.configure("info", stream=stream, time_format=time_format)
    log_two_lines()
    for line in written(stream.getvalue, 2):
        assert re.match(rf"\d{{{digits}}} INFO nekoapi\.(access|test): ", line), line
    stream = io.StringIO()
    logs.configure("info", json=True, stream=stream, time_format=time_format)
    log_two_lines()
    times = [orjson.loads(line)["time"] for line in written(stream.getvalue, 2)]
    assert all(isinstance(t, int) and len(str(t)) == digits for t in times), times


def test_the_default_time_is_the_date_and_time() -> None:
    stream = io.StringIO()
    logs.configure("info", stream=stream, time_format=load_config({}).log.time)
    log_two_lines()
    for line in written(stream.getvalue, 2):
        assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO ", line), line


def test_levels_are_coloured_on_a_terminal_unless_nocolor(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    logs.configure_from(load_config({}))
    log_two_lines()
    assert all(GREEN_INFO in line for line in written(terminal.getvalue, 2))

    for settings in ({"NEKO_LOG_NOCOLOR": "true"}, {"NEKO_LOG_JSON": "true"}):
        terminal = Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        logs.configure_from(load_config(settings))
        log_two_lines()
        assert "\x1b[" not in "".join(written(terminal.getvalue, 2))


def test_no_colours_when_the_log_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    logs.configure_from(load_config({}))
    log_two_lines()
    assert "\x1b[" not in "".join(written(piped.getvalue, 2))


def test_debug_mode_logs_at_debug_whatever_the_level_says() -> None:
    config = load_config({"NEKO_DEBUG": "true", "NEKO_LOG_LEVEL": "error"})
    assert (config.debug, logs.level_of(config)) == (True, "debug")
    logs.configure_from(config)
    assert logging.getLogger().level == logging.DEBUG
    assert logs.level_of(load_config({"NEKO_LOG_LEVEL": "warning"})) == "warning"


def test_the_log_goes_to_neko_latest_log_and_the_previous_run_is_kept(tmp_path: Path) -> None:
    folder = tmp_path / "logs"  # made when missing
    config = load_config({"NEKO_LOG_DIR": str(folder)})
    logs.configure_from(config)
    log_two_lines()
    latest = folder / "neko-latest.log"
    assert "nekoapi.test: after" in written(latest.read_text, 2)[1]
    assert latest.stat().st_mode & 0o777 == 0o600  # lines name sessions and clients

    logs.configure_from(config)  # the next start
    logging.getLogger("nekoapi.test").info("second run")
    assert written(latest.read_text, 1)[0].endswith("second run")
    (kept,) = folder.glob("neko.*.log")
    assert re.fullmatch(r"neko\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d(Z|[+-]\d\d-\d\d)\.log", kept.name)
    assert "nekoapi.test: after" in kept.read_text()

    logs.configure_from(config, rotate=False)  # a worker process adds to its parent's file
    logging.getLogger("nekoapi.test").info("from a worker")
    assert written(latest.read_text, 2)[1].endswith("from a worker")
    assert len(list(folder.glob("neko.*.log"))) == 1
