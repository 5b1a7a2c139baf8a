"""The screen as the video stages see it: XShm grabs of the root window, paced by X damage.

One ``ScreenCapture`` belongs to one thread (an X connection is not shared). It grabs into a
shared-memory segment the X server writes to, and hands out a numpy view of it: no copy of the
pixels is made on our side. The DAMAGE extension tells when the screen changed, so an idle desktop
costs no grab at all (``wait``); a screen whose size changes between the size query and the grab
(a RandR switch) is grabbed again at its new size.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import select
import threading
import time
from typing import Any

import numpy as np
import xcffib
import xcffib.damage
import xcffib.shm
import xcffib.xproto

log = logging.getLogger(__name__)

GRAB_ATTEMPTS = 5  # a resize burst can move the size under several grabs in a row
_IPC_PRIVATE, _IPC_CREAT, _IPC_RMID = 0, 0o1000, 0
_ALL_PLANES = 0xFFFFFFFF
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
_libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
_libc.shmat.restype = ctypes.c_void_p
_libc.shmdt.argtypes = [ctypes.c_void_p]
_libc.shmctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]


class CaptureError(Exception):
    """The screen cannot be grabbed (the display went away, or keeps changing under every attempt)."""


class _Segment:
    """A System V shared-memory segment the X server attaches too; removed once both have detached."""

    def __init__(self, conn: xcffib.Connection, shm: Any, size: int) -> None:
        self.size = size
        shmid = _libc.shmget(_IPC_PRIVATE, size, _IPC_CREAT | 0o600)
        if shmid < 0:
            raise CaptureError(f"shmget: {os.strerror(ctypes.get_errno())}")
        address = _libc.shmat(shmid, None, 0)
        if address in (None, ctypes.c_void_p(-1).value):
            _libc.shmctl(shmid, _IPC_RMID, None)
            raise CaptureError(f"shmat: {os.strerror(ctypes.get_errno())}")
        self.address = address
        self.seg = conn.generate_id()
        self._shm = shm
        try:
            shm.Attach(self.seg, shmid, False, is_checked=True).check()
        finally:
            _libc.shmctl(shmid, _IPC_RMID, None)  # freed when the last user detaches
        self.buffer = (ctypes.c_uint8 * size).from_address(address)

    def close(self) -> None:
        with contextlib.suppress(xcffib.ConnectionException):
            self._shm.Detach(self.seg)
        _libc.shmdt(self.address)


class ScreenCapture:
    def __init__(self, display: str) -> None:
        try:
            self._conn = xcffib.connect(display)
        except xcffib.ConnectionException as exc:
            raise CaptureError(f"cannot open display {display}: {exc}") from None
        self.display = display
        self._root = self._conn.get_setup().roots[0].root
        self._shm = self._conn(xcffib.shm.key)
        self._shm.QueryVersion().reply()
        self._segment: _Segment | None = None
        self._closing = threading.Lock()
        self._closed = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self.damaged = True  # the first frame is always grabbed
        self._damage = self._watch_damage()
        self.size = self._root_size()

    def _watch_damage(self) -> Any:
        """A damage object on the root (screen changes, child windows included); None: grab at the rung's fps."""
        try:
            damage = self._conn(xcffib.damage.key)
            damage.QueryVersion(1, 1).reply()
            handle = self._conn.generate_id()
            damage.Create(handle, self._root, xcffib.damage.ReportLevel.NonEmpty, is_checked=True).check()
        except xcffib.XcffibException as exc:  # every xcffib error: protocol, connection, extension
            log.warning("capture %s: no DAMAGE extension (%s); grabbing at every frame interval", self.display, exc)
            return None
        self._damage_ext = damage
        return handle

    @property
    def paced_by_damage(self) -> bool:
        return self._damage is not None

    def wake(self) -> None:
        """Ends a ``wait`` early (a keyframe is wanted, or the stage stops); callable from any thread."""
        with self._closing:
            if self._closed:
                return
            with contextlib.suppress(BlockingIOError):  # a wake is already pending
                os.write(self._wake_w, b"\0")

    def wait(self, timeout: float) -> None:
        """Until the screen changed (``damaged``), ``wake`` was called, or ``timeout`` s passed."""
        self._read_events()
        if self.damaged or self._damage is None:
            return
        ready, _, _ = select.select([self._conn.get_file_descriptor(), self._wake_r], [], [], max(timeout, 0))
        if self._wake_r in ready:
            self._drain_wakes()
        self._read_events()

    def _drain_wakes(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_r, 64):
                pass

    def _read_events(self) -> None:
        while True:
            event = self._conn.poll_for_event()
            if event is None:
                return
            if isinstance(event, xcffib.damage.NotifyEvent):
                self.damaged = True

    def grab(self) -> np.ndarray:
        """The whole screen now, as a (height, width, 4) BGRX view of shared memory (valid until the next grab).

        Damage is cleared first, so a change made while we grab makes the next ``wait`` return."""
        if self._damage is not None:
            self._damage_ext.Subtract(self._damage, 0, 0)
        self.damaged = self._damage is None  # without DAMAGE, every frame interval is a change
        for _attempt in range(GRAB_ATTEMPTS):
            width, height = self.size = self._root_size()
            needed = width * height * 4
            if self._segment is None or self._segment.size < needed:
                self._new_segment(needed)
            assert self._segment is not None
            try:
                self._shm.GetImage(
                    self._root,
                    0,
                    0,
                    width,
                    height,
                    _ALL_PLANES,
                    xcffib.xproto.ImageFormat.ZPixmap,
                    self._segment.seg,
                    0,
                ).reply()
            except (xcffib.xproto.MatchError, xcffib.xproto.ValueError):
                continue  # the screen changed size under this grab: again, at its new size
            return np.ndarray((height, width, 4), np.uint8, self._segment.buffer)
        raise CaptureError(f"the screen of {self.display} kept changing size under {GRAB_ATTEMPTS} grabs")

    def _new_segment(self, size: int) -> None:
        if self._segment is not None:
            self._segment.close()
            self._segment = None
        self._segment = _Segment(self._conn, self._shm, size)

    def _root_size(self) -> tuple[int, int]:
        try:
            geometry = self._conn.core.GetGeometry(self._root).reply()
        except xcffib.ConnectionException as exc:
            raise CaptureError(f"display {self.display} went away: {exc}") from None
        return int(geometry.width), int(geometry.height)

    def sleep_until(self, when: float) -> None:
        """Waits until ``when`` (monotonic clock), or less if ``wake`` is called. The wake is used up, as
        ``wait`` uses it: left pending, it would end every later sleep at once, and a screen that keeps
        changing (so that ``wait`` is not called) would have the frame loop spin on a whole core."""
        delay = when - time.monotonic()
        if delay > 0:
            ready, _, _ = select.select([self._wake_r], [], [], delay)
            if ready:
                self._drain_wakes()

    def close(self) -> None:
        with self._closing:
            self._closed = True
            try:
                if self._segment is not None:
                    self._segment.close()
                self._conn.disconnect()
            finally:
                os.close(self._wake_r)
                os.close(self._wake_w)
