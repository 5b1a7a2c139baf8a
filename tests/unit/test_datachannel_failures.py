"""Input from the data channel that the desktop cannot apply: expected failures are only logged,
as Neko logs them; anything else is a fault of ours, logged at error with its traceback."""

from __future__ import annotations

import logging

import pytest

from nekoapi import errors
from nekoapi.desktop.xconn import XRequestFailed
from nekoapi.media import datachannel
from nekoapi.media.input import DataChannelInput
from nekoapi.models import USER_PROFILE
from nekoapi.sessions.session import Session


class Pointer:
    def __init__(self, failure: Exception) -> None:
        self.failure = failure

    async def move(self, x: int, y: int) -> None:
        raise self.failure


def failing(failure: Exception) -> DataChannelInput:
    pointer = Pointer(failure)
    return DataChannelInput(None, lambda: pointer, dict, lambda: None)  # type: ignore[arg-type]


MOVE = datachannel.Message("move", {"x": 1, "y": 2})


@pytest.mark.parametrize("failure", [errors.DesktopUnavailable(), XRequestFailed(Exception("BadValue"))])
async def test_a_display_that_is_down_or_refuses_is_only_logged(
    failure: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nekoapi.media.input")
    await failing(failure)._apply(Session("s", b"", USER_PROFILE), MOVE)
    [record] = caplog.records
    assert (record.levelno, record.exc_info) == (logging.INFO, None)
    assert record.getMessage().startswith("data channel move from session s failed: ")


async def test_a_fault_is_logged_at_error_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="nekoapi.media.input")
    await failing(KeyError("a bug"))._apply(Session("s", b"", USER_PROFILE), MOVE)
    [record] = caplog.records
    assert (record.levelno, record.getMessage()) == (logging.ERROR, "data channel move from session s failed")
    assert record.exc_info is not None and record.exc_info[0] is KeyError
