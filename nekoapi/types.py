"""The contracts between the parts of the core: every backend implements one of these."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .models import MemberProfile

if TYPE_CHECKING:
    from .sessions.session import Session


class MemberProvider(Protocol):
    """Where members and their passwords live (Neko's ``member.provider``).

    Every write is atomic and durable when it returns: a batch (several ids)
    is applied completely or not at all. A provider that cannot do an
    operation raises ``MemberOperationUnsupported``; unknown ids raise
    ``MemberNotFound``, an existing username ``MemberAlreadyExists``.
    """

    async def open(self) -> None:
        """Connect to the store (and create it, or its first member, where the provider does that)."""
        ...

    async def close(self) -> None: ...

    async def authenticate(self, username: str, password: str) -> tuple[str, MemberProfile]:
        """The member's id and profile; raises ``InvalidCredentials``."""
        ...

    async def insert(self, username: str, password: str, profile: MemberProfile) -> str:
        """Store a new member; its id."""
        ...

    async def select(self, member_id: str) -> MemberProfile: ...

    async def select_all(self, limit: int, offset: int) -> list[tuple[str, MemberProfile]]:
        """Members ordered by id; ``limit`` 0 means no limit."""
        ...

    async def update_profiles(self, member_ids: Sequence[str], changes: Mapping[str, Any]) -> dict[str, MemberProfile]:
        """Merge ``changes`` into each stored profile; the new profiles by id."""
        ...

    async def update_password(self, member_id: str, password: str) -> None: ...

    async def delete(self, member_ids: Sequence[str]) -> None: ...


class SessionStore(Protocol):
    """Sessions by id and by token digest."""

    def add(self, session: Session) -> None: ...

    def remove(self, session: Session) -> None: ...

    def get(self, session_id: str) -> Session | None: ...

    def by_token(self, token: str) -> Session | None: ...

    def all(self) -> Iterable[Session]: ...

    def __len__(self) -> int: ...

    async def flush(self) -> None:
        """Returns when every change so far is stored (a store that writes a file writes it off the loop)."""
        ...


class HealthCheck(Protocol):
    """A component with a backing store that can be unreachable (database, file, Redis)."""

    async def ping(self) -> None:
        """Returns when the store answers; raises otherwise."""
        ...


# A complete WebSocket frame, or one in parts written one after the other (a large system/init).
Frame = bytes | tuple[bytes, ...]


class Peer(Protocol):
    """A session's connected WebSocket as the sessions see it (``ws/peer.py`` implements it).

    Sending never blocks; a peer that cannot keep up closes itself."""

    def send(self, event: str, payload: Any) -> None: ...

    def send_frame(self, frame: Frame) -> None:
        """A message framed once (``ws/protocol.frame``) for every recipient of a broadcast."""
        ...

    def destroy(self, reason: str) -> None:
        """Tell the client why (``system/disconnect``, a ``sessions/reasons`` text), then close."""
        ...


# A client event's handler: the sending session and the payload decoded as ``ws/payloads.py`` types it.
EventHandler = Callable[["Session", Any], Awaitable[None]]


class RoomPart(Protocol):
    """One part of the room (desktop, media, clipboard, uploads, broadcast, plugins, ...), as the
    composition root (``services.py``) wires it. Subclass it for the defaults: a part does nothing
    of what it does not override.

    A connect runs Neko's order: ``system/init`` (with every part's ``init_fields``),
    ``system/admin`` to administrators (``admin_fields``), the connect's ``session/state``, then each
    part's ``greet`` in the order of the parts' list.
    """

    def events(self) -> Mapping[str, EventHandler]:
        """The client events this part handles (each declared in ``spec/openapi.yaml`` x-websocket)."""
        return {}

    def init_fields(self, session: Session) -> Mapping[str, Any]:
        """What this part adds to ``system/init``."""
        return {}

    def admin_fields(self, session: Session) -> Mapping[str, Any]:
        """What this part adds to ``system/admin``."""
        return {}

    def greet(self, session: Session) -> None:
        """Messages of its own to a session that just connected, after ``system/init``."""
        return None

    async def startup(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


class Connection(Protocol):
    """The little a WebSocket peer needs from the socket underneath. Both raise ``ConnectionError``
    once the client has gone."""

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


# --- broadcast and screencast ------------------------------------------------------------

# The desktop's X display name (":57"), or None while no X server is up.
DisplaySource = Callable[[], "str | None"]


class AudioStream(Protocol):
    """Raw PCM of the desktop's sound: interleaved s16le, stereo, 48 kHz. Blocking."""

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes; b"" when the sound has ended."""
        ...

    def close(self) -> None: ...


class AudioSource(Protocol):
    """Where the broadcast's sound comes from (a PulseAudio monitor by default)."""

    def open(self) -> AudioStream | None:
        """A new stream, or None when this machine has no sound to capture. Blocking."""


class LinkOpener(Protocol):
    """Opens a link in the desktop's application (Neko's openinapp plugin)."""

    async def open(self, url: str, display: str) -> None:
        """Opens on X ``display``; returns once the opening has started; raises ``OpenCommandFailed``."""
        ...


# --- the desktop and what the data channel needs of it ---


class PointerKeyboard(Protocol):
    """Input applied to the desktop (``Desktop`` below provides these)."""

    async def move(self, x: int, y: int) -> None: ...

    async def scroll(self, delta_x: int, delta_y: int, control_key: bool) -> None: ...

    async def button_down(self, code: int) -> None: ...

    async def button_up(self, code: int) -> None: ...

    async def key_down(self, keysym: int) -> None: ...

    async def key_up(self, keysym: int) -> None: ...

    async def touch(self, phase: str, touch_id: int, x: int, y: int) -> None:
        """``phase``: begin, update or end (Neko's TOUCH_*); without a touch device the first finger is the pointer."""
        ...


class Desktop(PointerKeyboard, Protocol):
    """The room's X desktop (``services.desktop``). Methods taking a caller run Neko's guards;
    the input methods do not (the WebSocket and the data channel apply their own rules).
    Everything raises ``DesktopUnavailable`` while the X server is down."""

    @property
    def display(self) -> str | None:
        """The X display name (":57"), None while the desktop is down."""
        ...

    async def require(self) -> None: ...

    def screen(self) -> dict[str, int]:
        """The current size ``{width, height, rate}`` (kept up to date, no X round trip)."""
        ...

    def configurations(self) -> list[dict[str, int]]: ...

    async def set_screen(self, caller: Session, width: int, height: int, rate: int) -> dict[str, int]:
        """Switch (Neko's rounding, CVT mode added when missing); the applied size."""
        ...

    async def screen_configurations(self, caller: Session) -> list[dict[str, int]]: ...

    async def screenshot(self, caller: Session, quality: int | None) -> bytes: ...

    async def keyboard_map(self, caller: Session) -> dict[str, str]: ...

    async def set_keyboard_map(self, caller: Session, layout: str, variant: str) -> None: ...

    async def keyboard_modifiers(self, caller: Session) -> dict[str, bool]: ...

    async def set_keyboard_modifiers(self, caller: Session, changes: Mapping[str, bool | None]) -> None: ...

    async def release_all_input(self) -> None: ...
