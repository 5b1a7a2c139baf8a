"""A test window that accepts XDND drops (version 5) and records what it got, in python-xlib."""

from __future__ import annotations

import select
import threading
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

from Xlib import X, Xatom
from Xlib.display import Display
from Xlib.protocol import event as xevent


@dataclass
class Received:
    positions: list[tuple[int, int]] = field(default_factory=list)
    uris: list[str] = field(default_factory=list)
    contents: dict[str, bytes] = field(default_factory=dict)  # file name -> bytes, read at the drop
    done: threading.Event = field(default_factory=threading.Event)


class DropTarget:
    """Maps an XdndAware window at x,y (w x h); ``accept=False`` answers every Position with a refusal."""

    def __init__(self, display: str, geometry: tuple[int, int, int, int], *, accept: bool = True) -> None:
        self.d = Display(display)
        self.accept = accept
        self.received = Received()
        x, y, w, h = geometry
        self.window = self.d.screen().root.create_window(x, y, w, h, 0, X.CopyFromParent, override_redirect=True)
        self.window.change_property(self.atom("XdndAware"), Xatom.ATOM, 32, [5])
        self.window.map()
        self.d.sync()
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def atom(self, name: str) -> int:
        return self.d.intern_atom(name)

    def close(self) -> None:
        self._stop = True
        self._thread.join(3)
        self.d.close()

    def _run(self) -> None:
        while not self._stop:
            while self.d.pending_events():
                self._on(self.d.next_event())
            select.select([self.d.fileno()], [], [], 0.1)

    def _on(self, ev: object) -> None:
        if ev.type == X.ClientMessage:  # type: ignore[attr-defined]
            kind = self.d.get_atom_name(ev.client_type)  # type: ignore[attr-defined]
            data = ev.data[1]  # type: ignore[attr-defined]
            source = self.d.create_resource_object("window", data[0])
            if kind == "XdndPosition":
                self.received.positions.append((data[2] >> 16, data[2] & 0xFFFF))
                self._reply(source, "XdndStatus", [1 if self.accept else 0, 0, 0, self.atom("XdndActionCopy")])
            elif kind == "XdndDrop":
                self._pending_source = source
                self.window.convert_selection(
                    self.atom("XdndSelection"), self.atom("text/uri-list"), self.atom("DROPPED"), data[2]
                )
                self.d.flush()
        elif ev.type == X.SelectionNotify:  # type: ignore[attr-defined]
            prop = self.window.get_full_property(self.atom("DROPPED"), X.AnyPropertyType)
            text = bytes(prop.value).decode() if prop is not None else ""
            self.received.uris = [line for line in text.split("\r\n") if line]
            for uri in self.received.uris:
                path = unquote(urlparse(uri).path)
                with open(path, "rb") as f:
                    self.received.contents[path.rsplit("/", 1)[-1]] = f.read()
            self._reply(self._pending_source, "XdndFinished", [1, self.atom("XdndActionCopy"), 0])
            self.received.done.set()

    def _reply(self, source: object, kind: str, data: list[int]) -> None:
        message = xevent.ClientMessage(
            window=source, client_type=self.atom(kind), data=(32, ([self.window.id, *data] + [0] * 5)[:5])
        )
        source.send_event(message)  # type: ignore[attr-defined]
        self.d.flush()
