"""Giving a test app the X display of the test X server, without the rest of the desktop."""

from __future__ import annotations

from nekoapi.services import Services


def attach_display(services: Services, display: str | None) -> None:
    """``services.desktop.display`` names ``display``, as when the desktop runtime is up.

    The test apps run with ``desktop.enabled`` false (tests/support/factory.py), so the runtime
    never starts, supervises or switches this display: the broadcast and screencast only read the
    name, and the shared X server keeps its size.
    """
    assert not services.desktop.enabled, "a test with the whole desktop configures desktop.display instead"
    services.desktop.runtime.name = display
