from __future__ import annotations

from collections.abc import Iterator

import pytest

from nekoapi.media.pulse import PulseServer

from .desktop import Painter, xvfb



@pytest.fixture(scope="session")
def media_display() -> Iterator[str]:
    with xvfb(1280, 720) as display:
        yield display


@pytest.fixture(scope="session")
def pulse() -> Iterator[PulseServer]:
    server = PulseServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def painter(media_display: str) -> Iterator[Painter]:
    painter = Painter(media_display)
    yield painter
    painter.close()
