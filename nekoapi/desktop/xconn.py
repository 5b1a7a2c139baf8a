"""One X connection owned by one worker thread: blocking X calls never run on the event loop.

python-xlib connections are not thread-safe, so each owner (input and screen, screenshots) opens its
own and sends every call through its single thread. A connection whose server went away raises
``DesktopUnavailable`` from then on.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from Xlib import display as xdisplay
from Xlib import error as xerror

from .. import errors

log = logging.getLogger("nekoapi.desktop")

T = TypeVar("T")


class XConnection:
    def __init__(self, name: str, purpose: str = "x") -> None:
        self.name = name
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"{purpose}{name}")
        self._display: xdisplay.Display | None = None
        self.broken = False

    async def open(self) -> None:
        await self.run(lambda d: None)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(display, *args)`` in this connection's thread."""
        if self.broken:
            raise errors.DesktopUnavailable()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, functools.partial(self._call, fn, *args))
        except (xerror.ConnectionClosedError, xerror.DisplayError, OSError) as exc:
            self.broken = True
            log.warning("X connection to %s lost: %s", self.name, exc)
            raise errors.DesktopUnavailable() from None

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        if self._display is None:
            self._display = open_display(self.name)
        return fn(self._display, *args)

    async def close(self) -> None:
        def _close(d: xdisplay.Display | None) -> None:
            if d is not None:
                with contextlib.suppress(Exception):
                    d.close()

        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, _close, self._display)
        self._display = None
        self._executor.shutdown(wait=False)


def open_display(name: str) -> xdisplay.Display:
    """A python-xlib connection that collects the errors of requests without replies."""
    display = xdisplay.Display(name)
    reported: list[xerror.XError] = []
    display.set_error_handler(lambda error, request: reported.append(error))
    display.neko_errors = reported  # type: ignore[attr-defined]
    return display


@contextlib.contextmanager
def checked(display: xdisplay.Display) -> Iterator[None]:
    """Raise the first error the server reports for the requests sent inside (in the X thread)."""
    reported: list[xerror.XError] = display.neko_errors  # type: ignore[attr-defined]
    reported.clear()
    yield
    display.sync()
    if reported:
        raise XRequestFailed(reported[0])


class XRequestFailed(Exception):
    """The X server refused a request (BadValue, BadMatch...)."""

    def __init__(self, error: xerror.XError) -> None:
        super().__init__(type(error).__name__)
        self.error = error
