"""Dropping files onto the window at x,y with the XDND protocol (version 5), in python-xlib.

We are the drag source: our hidden window owns ``XdndSelection`` and offers the
files as ``text/uri-list``. The target gets Enter, then Position until it
answers a Status that accepts (Chromium refuses the first Position and accepts
the next), then Drop; it converts the selection and reports Finished.
"""

from __future__ import annotations

import select
import time
from typing import Any
from urllib.parse import quote

from Xlib import X, Xatom
from Xlib.display import Display
from Xlib.protocol import event as xevent

from .. import errors

XDND_VERSION = 5
# Positions sent at most, 100 ms apart, before giving up on a target that never accepts.
POSITION_TRIES = 10
POSITION_INTERVAL = 0.1


def file_uris(paths: list[str]) -> bytes:
    """The ``text/uri-list`` body: one file:// URI per line, CRLF-terminated (RFC 2483)."""
    return b"".join(b"file://" + quote(p).encode() + b"\r\n" for p in paths)


def drop_files(display_name: str, x: int, y: int, paths: list[str], timeout: float) -> None:
    """Raises ``DesktopRefused`` when no window at x,y takes the drop within ``timeout``."""
    display = Display(display_name)
    try:
        _Drag(display, file_uris(paths), time.monotonic() + timeout).run(x, y)
    finally:
        display.close()


class _Drag:
    def __init__(self, display: Display, uri_list: bytes, deadline: float) -> None:
        self.d = display
        self.atom = display.intern_atom
        self.root = display.screen().root
        self.uri_list = uri_list
        self.deadline = deadline
        self.source = self.root.create_window(-10, -10, 1, 1, 0, X.CopyFromParent, override_redirect=True)
        self.types = [self.atom("text/uri-list"), self.atom("text/plain;charset=utf-8"), self.atom("UTF8_STRING")]
        self.source.change_property(self.atom("XdndTypeList"), Xatom.ATOM, 32, self.types)
        self.source.set_selection_owner(self.atom("XdndSelection"), X.CurrentTime)

    def run(self, x: int, y: int) -> None:
        target, version = self._target_at(x, y)
        self.root.warp_pointer(x, y)  # as Neko: the pointer is where the files land
        self._send(target, "XdndEnter", [min(version, XDND_VERSION) << 24, *self.types])
        if not self._positioned(target, x, y):
            self._send(target, "XdndLeave", [0])
            self.d.flush()
            raise errors.DesktopRefused(f"the window at {x},{y} did not accept the dropped files")
        self._send(target, "XdndDrop", [0, X.CurrentTime])
        finished = self._wait_message("XdndFinished")
        if finished is None:
            raise errors.DesktopRefused(f"the window at {x},{y} did not finish the drop in time")
        if version >= 5 and not finished.data[1][1] & 1:
            raise errors.DesktopRefused(f"the window at {x},{y} refused the dropped files")

    def _target_at(self, x: int, y: int) -> tuple[Any, int]:
        """The deepest XdndAware window under x,y (a proxy's answer counts for its owner)."""
        aware = self.atom("XdndAware")
        window, found = self.root, None
        screen = self.root.get_geometry()
        # Off the screen there is no window; X's coordinates are 16-bit, so it could not even be asked.
        while found is None and 0 <= x < screen.width and 0 <= y < screen.height:
            child = window.translate_coords(self.root, x, y).child
            if not child:
                break
            prop = child.get_full_property(aware, Xatom.ATOM)
            if prop is not None and len(prop.value):
                found = (child, int(prop.value[0]))
            window = child
        if found is None:
            raise errors.DesktopRefused(f"no window at {x},{y} accepts dropped files")
        return found

    def _positioned(self, target: Any, x: int, y: int) -> bool:
        for _ in range(POSITION_TRIES):
            self._send(target, "XdndPosition", [0, (x << 16) | y, X.CurrentTime, self.atom("XdndActionCopy")])
            status = self._wait_message("XdndStatus", POSITION_INTERVAL * 3)
            if status is not None and status.data[1][1] & 1:
                return True
            if time.monotonic() > self.deadline:
                return False
            time.sleep(POSITION_INTERVAL)
        return False

    def _send(self, target: Any, kind: str, data: list[int]) -> None:
        message = xevent.ClientMessage(
            window=target, client_type=self.atom(kind), data=(32, [self.source.id, *data, 0, 0, 0, 0][:5])
        )
        target.send_event(message, event_mask=0)
        self.d.flush()

    def _wait_message(self, kind: str, within: float | None = None) -> Any:
        """The next ClientMessage ``kind`` to our window; serves selection requests meanwhile."""
        wanted = self.atom(kind)
        stop = min(self.deadline, time.monotonic() + within) if within else self.deadline
        while True:
            while self.d.pending_events():
                ev = self.d.next_event()
                if ev.type == X.ClientMessage and ev.client_type == wanted:
                    return ev
                if ev.type == X.SelectionRequest:
                    self._serve(ev)
            left = stop - time.monotonic()
            if left <= 0:
                return None
            select.select([self.d.fileno()], [], [], left)

    def _serve(self, ev: Any) -> None:
        prop = ev.property or ev.target
        if ev.target == self.atom("TARGETS"):
            ev.requestor.change_property(prop, Xatom.ATOM, 32, [self.atom("TARGETS"), *self.types])
        elif ev.target in self.types:
            data = self.uri_list if ev.target == self.types[0] else self.uri_list.split(b"\r\n", 1)[0]
            ev.requestor.change_property(prop, ev.target, 8, data)
        else:
            prop = X.NONE
        notify = xevent.SelectionNotify(
            time=ev.time, requestor=ev.requestor, selection=ev.selection, target=ev.target, property=prop
        )
        ev.requestor.send_event(notify)
        self.d.flush()
