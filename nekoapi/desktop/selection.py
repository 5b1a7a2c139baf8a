"""The X side of the clipboard: owning CLIPBOARD (ICCCM selections) and reading it.

The owner lives on its own ``XLoop`` thread, serves every request until another
client takes the selection, and reports each CLIPBOARD owner change (XFixes).
Contents larger than one X request are sent and read with the INCR protocol.
"""

from __future__ import annotations

import logging
import select
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from Xlib import X, Xatom
from Xlib.display import Display
from Xlib.ext import xfixes
from Xlib.protocol import event as xevent

from .xloop import OnXLoop, XLoop

log = logging.getLogger(__name__)

# Larger values go in INCR chunks: one X request holds at most 256 KiB without BIG-REQUESTS.
INCR_THRESHOLD = 128 * 1024
INCR_CHUNK = 64 * 1024
# A requestor that stops reading an INCR transfer for this long is dropped.
INCR_STALL = 10.0
PROPERTY = "NEKOAPI_SELECTION"


@dataclass
class _Transfer:
    """An INCR send in progress: the next chunk goes when the requestor deletes the property."""

    window: Any
    property: int
    target: int
    data: bytes
    offset: int = 0
    touched: float = 0.0


class SelectionOwner(OnXLoop):
    """Owns CLIPBOARD with the given contents (target name -> bytes) until someone else takes it."""

    def __init__(self, display_name: str, on_owner_change: Callable[[], None]) -> None:
        self._loop = XLoop(display_name, "clipboard", self._on_event)
        display = self._loop.display
        self._atom = display.intern_atom
        self._clipboard = self._atom("CLIPBOARD")
        self._targets_atom = self._atom("TARGETS")
        self._incr = self._atom("INCR")
        self._window = display.screen().root.create_window(0, 0, 1, 1, 0, X.CopyFromParent)
        display.xfixes_query_version()
        display.xfixes_select_selection_input(self._window, self._clipboard, xfixes.XFixesSetSelectionOwnerNotifyMask)
        display.flush()
        self._owner_notify = display.extension_event.SetSelectionOwnerNotify
        self._on_owner_change = on_owner_change
        self._contents: dict[int, bytes] = {}
        self._transfers: dict[tuple[int, int], _Transfer] = {}
        self._loop.start()

    def own(self, contents: dict[str, bytes], timeout: float) -> None:
        """Takes CLIPBOARD with these contents; raises ``DesktopUnavailable`` on a timeout."""
        self._loop.call(lambda: self._take({self._atom(k): v for k, v in contents.items()}), timeout)

    def owned(self, target: str, timeout: float) -> bytes | None:
        """What we serve for ``target`` while we own CLIPBOARD (None when we do not own it)."""
        return self._loop.call(lambda: self._contents.get(self._atom(target)), timeout)

    # --- on the loop's thread ---

    def _take(self, contents: dict[int, bytes]) -> None:
        self._contents = contents
        self._transfers.clear()
        self._window.set_selection_owner(self._clipboard, X.CurrentTime)
        owner = self._loop.display.get_selection_owner(self._clipboard)
        if owner.id != self._window.id:
            self._contents = {}
            raise RuntimeError("the X server did not give us CLIPBOARD")

    def _on_event(self, ev: Any) -> None:
        if ev.type == X.SelectionRequest:
            self._serve(ev)
        elif ev.type == X.SelectionClear and ev.atom == self._clipboard:
            self._contents = {}
        elif ev.type == X.PropertyNotify and ev.state == X.PropertyDelete:
            self._continue(ev)
        elif (ev.type, getattr(ev, "sub_code", None)) == self._owner_notify and ev.selection == self._clipboard:
            self._on_owner_change()
        self._drop_stalled()

    def _serve(self, ev: Any) -> None:
        prop = ev.property or ev.target  # obsolete requestors name no property
        answered = ev.selection == self._clipboard and self._contents and self._answer(ev, prop)
        notify = xevent.SelectionNotify(
            time=ev.time,
            requestor=ev.requestor,
            selection=ev.selection,
            target=ev.target,
            property=prop if answered else X.NONE,
        )
        ev.requestor.send_event(notify)
        self._loop.display.flush()

    def _answer(self, ev: Any, prop: int) -> bool:
        if ev.target == self._targets_atom:
            atoms = [self._targets_atom, *self._contents]
            ev.requestor.change_property(prop, Xatom.ATOM, 32, atoms)
            return True
        data = self._contents.get(ev.target)
        if data is None:
            return False
        if len(data) <= INCR_THRESHOLD:
            ev.requestor.change_property(prop, ev.target, 8, data)
            return True
        ev.requestor.change_attributes(event_mask=X.PropertyChangeMask)
        ev.requestor.change_property(prop, self._incr, 32, [len(data)])
        self._transfers[(ev.requestor.id, prop)] = _Transfer(ev.requestor, prop, ev.target, data, 0, time.monotonic())
        return True

    def _continue(self, ev: Any) -> None:
        transfer = self._transfers.get((ev.window.id, ev.atom))
        if transfer is None:
            return
        chunk = transfer.data[transfer.offset : transfer.offset + INCR_CHUNK]
        transfer.offset += len(chunk)
        transfer.touched = time.monotonic()
        transfer.window.change_property(transfer.property, transfer.target, 8, chunk)
        if not chunk:  # the empty chunk ends the transfer
            del self._transfers[(ev.window.id, ev.atom)]
        self._loop.display.flush()

    def _drop_stalled(self) -> None:
        now = time.monotonic()
        for key, transfer in list(self._transfers.items()):
            if now - transfer.touched > INCR_STALL:
                del self._transfers[key]


def read_selection(display_name: str, target: str, timeout: float) -> bytes | None:
    """CLIPBOARD converted to ``target``, or None when it is empty or cannot be converted."""
    display = Display(display_name)
    try:
        return _Reader(display, timeout).read(target)
    finally:
        display.close()


def read_targets(display_name: str, timeout: float) -> set[str] | None:
    """The targets the CLIPBOARD owner offers, or None when it does not say (or nobody owns it)."""
    display = Display(display_name)
    try:
        reader = _Reader(display, timeout)
        reply = reader.read_reply("TARGETS")
        if reply is None or reply.format != 32:
            return None
        return {display.get_atom_name(int(atom)) for atom in reply.value if atom}
    finally:
        display.close()


class _Reader:
    def __init__(self, display: Display, timeout: float) -> None:
        self._display = display
        self._deadline = time.monotonic() + timeout
        self._window = display.screen().root.create_window(
            0, 0, 1, 1, 0, X.CopyFromParent, event_mask=X.PropertyChangeMask
        )
        self._property = display.intern_atom(PROPERTY)

    def read(self, target: str) -> bytes | None:
        reply = self.read_reply(target)
        if reply is None:
            return None
        if reply.property_type == self._display.intern_atom("INCR"):
            return self._incremental()
        return _as_bytes(reply)

    def read_reply(self, target: str) -> Any:
        """The property the owner answered with (INCR not followed), or None."""
        display = self._display
        clipboard = display.intern_atom("CLIPBOARD")
        if display.get_selection_owner(clipboard) == X.NONE:
            return None
        self._window.convert_selection(clipboard, display.intern_atom(target), self._property, X.CurrentTime)
        display.flush()
        answer = self._next(lambda e: e.type == X.SelectionNotify)
        if answer is None or answer.property == X.NONE:
            return None
        reply = self._window.get_full_property(self._property, X.AnyPropertyType)
        self._window.delete_property(self._property)
        display.flush()
        return reply

    def _incremental(self) -> bytes | None:
        chunks: list[bytes] = []
        while True:
            event = self._next(
                lambda e: e.type == X.PropertyNotify and e.state == X.PropertyNewValue and e.atom == self._property
            )
            if event is None:
                return None
            reply = self._window.get_full_property(self._property, X.AnyPropertyType)
            self._window.delete_property(self._property)
            self._display.flush()
            chunk = _as_bytes(reply) if reply is not None else b""
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)

    def _next(self, wanted: Callable[[Any], bool]) -> Any:
        """The next event ``wanted`` accepts, or None at the deadline."""
        display = self._display
        while True:
            while display.pending_events():
                event = display.next_event()
                if wanted(event):
                    return event
            left = self._deadline - time.monotonic()
            if left <= 0:
                return None
            select.select([display.fileno()], [], [], left)


def _as_bytes(reply: Any) -> bytes:
    value = reply.value
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("latin-1")
    return bytes(value.tobytes())
