"""``nekoapi serve``'s server: what it does around uvicorn's own start-up."""

from __future__ import annotations

import gc

import uvicorn

from nekoapi.web.server import GracefulServer


async def test_the_heap_built_at_start_up_is_frozen_out_of_the_cyclic_collector(monkeypatch) -> None:
    # Without it, full collections rescan every module and prebuilt operation, and requests
    # stall for tens of ms under load (docs/benchmarks.md, "gc.freeze()").
    started: list[str] = []

    async def uvicorn_startup(self: uvicorn.Server, sockets: object = None) -> None:
        started.append("uvicorn")

    monkeypatch.setattr(uvicorn.Server, "startup", uvicorn_startup)
    monkeypatch.setattr(gc, "freeze", lambda: started.append("freeze"))
    await GracefulServer(uvicorn.Config(app=lambda *_: None)).startup()
    assert started == ["uvicorn", "freeze"]
