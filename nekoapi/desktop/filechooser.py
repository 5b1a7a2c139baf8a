"""The GTK file chooser ("Open File…" dialogs of the browser in the display): found, filled, closed.

A watcher thread sees every top-level window that maps or changes on the root
(SubstructureNotify) and recognises the dialog by its ``WM_WINDOW_ROLE``
(``GtkFileChooserDialog``) and a name starting with "Open File" (Neko's rule).

Filling it does not type into its location bar as Neko does (Debian 12's GTK
closes the dialog without files when it is accepted from the keyboard): the
dialog is sized to the screen, the files are dropped onto its file list (XDND:
GTK opens their folder and selects them), all are selected, and its Open button
is clicked with XTest once the list shows every file selected (chooser_rows).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from Xlib import X, Xatom
from Xlib.display import Display
from Xlib.ext import xtest
from Xlib.protocol import event as xevent

from .. import errors
from .chooser_rows import selected_rows
from .chord import chord
from .xdnd import drop_files
from .xloop import OnXLoop, XLoop

log = logging.getLogger(__name__)

ROLE = b"GtkFileChooserDialog"
NAME_PREFIX = "Open File"
# The dialog's size while we fill it (GTK's own is taller than a 720-line screen).
FILL_SIZE = (1000, 650)
# Where GTK 3 puts the Open button, from the dialog's bottom-right corner.
OPEN_BUTTON = (50, 24)


class FileChooserWatcher(OnXLoop):
    """Reports when the dialog opens (its window id) and closes, from its own X thread."""

    def __init__(self, display_name: str, on_opened: Callable[[int], None], on_closed: Callable[[], None]) -> None:
        self._loop = XLoop(display_name, "file-chooser", self._on_event)
        display = self._loop.display
        self._root = display.screen().root
        self._role = display.intern_atom("WM_WINDOW_ROLE")
        self._on_opened = on_opened
        self._on_closed = on_closed
        self.window: int | None = None
        self._root.change_attributes(event_mask=X.SubstructureNotifyMask)
        for child in self._root.query_tree().children:
            self._consider(child)
        display.flush()
        self._loop.start()

    def _on_event(self, ev: Any) -> None:
        if ev.type in (X.MapNotify, X.ConfigureNotify):
            self._consider(ev.window)
        elif ev.type in (X.UnmapNotify, X.DestroyNotify) and ev.window.id == self.window:
            self.window = None
            self._on_closed()

    def _consider(self, window: Any) -> None:
        if window.id == self.window or not _is_dialog(window, self._role):
            return
        self.window = window.id
        self._hide(window)
        self._on_opened(window.id)

    def _hide(self, window: Any) -> None:
        """As Neko: not tied to the browser window, and kept below (under a window manager)."""
        display = self._loop.display
        window.delete_property(display.intern_atom("WM_TRANSIENT_FOR"))
        state = display.intern_atom("_NET_WM_STATE")
        below = display.intern_atom("_NET_WM_STATE_BELOW")
        message = xevent.ClientMessage(window=window, client_type=state, data=(32, [1, below, 0, 1, 0]))
        self._root.send_event(message, event_mask=X.SubstructureRedirectMask | X.SubstructureNotifyMask)
        display.flush()


def _is_dialog(window: Any, role_atom: int) -> bool:
    try:
        attributes = window.get_attributes()
        if attributes.map_state != X.IsViewable:
            return False
        role = window.get_full_property(role_atom, Xatom.STRING)
        name = window.get_wm_name() or ""
    except Exception:  # the window went away meanwhile (BadWindow)
        return False
    if isinstance(name, bytes):
        name = name.decode("utf-8", "replace")
    return role is not None and bytes(role.value).rstrip(b"\0") == ROLE and name.startswith(NAME_PREFIX)


def fill(display_name: str, window_id: int, paths: list[str], timeout: float) -> None:
    """Selects ``paths`` (all in one folder) in the open dialog and accepts it; ``DesktopRefused`` if it stays."""
    display = Display(display_name)
    try:
        dialog = display.create_resource_object("window", window_id)
        x, y, width, height = _fit(display, dialog)
        drop_files(display_name, x + width // 2, y + height // 2, paths, timeout)
        dialog.set_input_focus(X.RevertToParent, X.CurrentTime)
        _select_all(display, display_name, (x, y, width, height), len(paths), timeout)
        _click(display, x + width - OPEN_BUTTON[0], y + height - OPEN_BUTTON[1])
        if not _gone(dialog, time.monotonic() + timeout):
            raise errors.DesktopRefused("the file chooser dialog did not accept the files")
    finally:
        display.close()


def _select_all(display: Display, name: str, box: tuple[int, int, int, int], count: int, timeout: float) -> None:
    """Ctrl+A until the list shows all ``count`` files selected (GTK lists the folder asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        chord(display, "Control_L", "a")
        shown = selected_rows(name, box)
        if shown >= count or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if shown < count:
        log.warning("file chooser: %d of %d files shown selected; accepting what is there", shown, count)


def dismiss(display_name: str, window_id: int, timeout: float) -> bool:
    """Asks the dialog to close (WM_DELETE_WINDOW, then Escape); whether it went."""
    display = Display(display_name)
    try:
        dialog = display.create_resource_object("window", window_id)
        protocols = display.intern_atom("WM_PROTOCOLS")
        delete = display.intern_atom("WM_DELETE_WINDOW")
        dialog.send_event(xevent.ClientMessage(window=dialog, client_type=protocols, data=(32, [delete, 0, 0, 0, 0])))
        display.flush()
        if _gone(dialog, time.monotonic() + timeout / 2):
            return True
        dialog.set_input_focus(X.RevertToParent, X.CurrentTime)
        chord(display, "Escape")
        return _gone(dialog, time.monotonic() + timeout / 2)
    finally:
        display.close()


def _fit(display: Display, dialog: Any) -> tuple[int, int, int, int]:
    screen = display.screen()
    width = min(FILL_SIZE[0], screen.width_in_pixels)
    height = min(FILL_SIZE[1], screen.height_in_pixels)
    dialog.configure(x=0, y=0, width=width, height=height, stack_mode=X.Above)
    display.sync()
    deadline = time.monotonic() + 1.0
    while True:  # GTK lays the dialog out again before the new size counts
        geometry = dialog.get_geometry()
        if (geometry.width, geometry.height) == (width, height) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    time.sleep(0.2)
    origin = dialog.translate_coords(screen.root, 0, 0)
    return -origin.x, -origin.y, geometry.width, geometry.height


def _click(display: Display, x: int, y: int) -> None:
    display.screen().root.warp_pointer(x, y)
    display.sync()
    time.sleep(0.05)
    xtest.fake_input(display, X.ButtonPress, 1)
    xtest.fake_input(display, X.ButtonRelease, 1)
    display.sync()


def _gone(dialog: Any, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            if dialog.get_attributes().map_state != X.IsViewable:
                return True
        except Exception:  # BadWindow: destroyed
            return True
        time.sleep(0.05)
    return False
