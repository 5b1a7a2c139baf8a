"""The desktop's cursor image (XFixes), sent to every peer as CURSOR_IMAGE when it changes.

Neko's video has no pointer in it; clients draw this image at CURSOR_POSITION. One thread
per display waits for XFixes cursor notifications on its own connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import select
import threading
from collections.abc import Callable

from PIL import Image
from Xlib import display as xdisplay
from Xlib.error import ConnectionClosedError
from Xlib.ext import xfixes

from . import datachannel

log = logging.getLogger(__name__)


class CursorWatcher:
    def __init__(self, display: str, deliver: Callable[[bytes], None], loop: asyncio.AbstractEventLoop) -> None:
        self.display = display
        self._deliver = deliver
        self._loop = loop
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="media-cursor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        try:
            connection = xdisplay.Display(self.display)
        except Exception as exc:
            log.warning("cursor: cannot open %s: %s", self.display, exc)
            return
        try:
            root = connection.screen().root
            connection.xfixes_query_version()
            connection.xfixes_select_cursor_input(root, xfixes.XFixesDisplayCursorNotifyMask)
            self._send(connection)
            while not self._stop.is_set():
                if not connection.pending_events():
                    select.select([connection.fileno()], [], [], 0.5)
                while connection.pending_events():
                    # python-xlib builds the event class anew per connection: compare by name
                    if type(connection.next_event()).__name__ == "DisplayCursorNotify":
                        self._send(connection)
        except ConnectionClosedError:
            log.info("cursor: %s closed", self.display)
        except Exception:
            log.exception("cursor watcher on %s failed", self.display)
        finally:
            with contextlib.suppress(ConnectionClosedError, OSError):
                connection.close()

    def _send(self, connection: xdisplay.Display) -> None:
        image = connection.xfixes_get_cursor_image(connection.screen().root)
        self._loop.call_soon_threadsafe(self._deliver, cursor_message(image))


def cursor_message(image: object) -> bytes:
    """CURSOR_IMAGE: the size, the hotspot and the pixels as PNG (XFixes gives ARGB words)."""
    width, height = image.width, image.height  # type: ignore[attr-defined]
    argb = b"".join(int(p).to_bytes(4, "little") for p in image.cursor_image)  # type: ignore[attr-defined]
    picture = Image.frombuffer("RGBA", (width, height), argb, "raw", "BGRA", 0, 1)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return datachannel.cursor_image(width, height, image.xhot, image.yhot, out.getvalue())  # type: ignore[attr-defined]
