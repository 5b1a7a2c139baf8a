"""ICE restart (``signal/restart``), which aiortc does not implement.

aiortc starts each transport's aioice ``Connection`` once, and a renegotiated offer keeps its
ufrag/pwd, so the client sees no restart. Replacing the ``Connection`` would lose the sockets
and the receive queue the DTLS transport reads from; it is rewound instead
(``rtc_internals.new_ice_generation``). The next offer carries new local credentials (aiortc
reads them from the ``Connection``); the old check list and remote candidates are dropped; the
answer's credentials then start ``connect()`` again. The sockets stay, and so does the selected
pair until a new one is nominated: the DTLS session, SRTP and SCTP above never notice.
"""

from __future__ import annotations

import asyncio
import logging

from aiortc import RTCIceTransport
from aiortc.sdp import SessionDescription

from . import rtc_internals as rtc
from .ports import transports

log = logging.getLogger(__name__)


class IceRestart:
    """The ICE restarts of one peer connection."""

    def __init__(self, pc: object) -> None:
        self._pc = pc
        self._rewound: list[RTCIceTransport] = []
        self._checks: set[asyncio.Task[None]] = set()

    async def begin(self) -> None:
        """New local credentials for the next offer; the current pair keeps the media meanwhile."""
        found = transports(self._pc)
        if not found or any(t.state != "completed" for t in found):
            raise ValueError("ICE restart before ICE is connected")
        self.cancel()
        for transport in found:
            await rtc.new_ice_generation(rtc.ice_agent(transport))
            rtc.expect_remote_candidates(transport)
        self._rewound = found

    def finish(self, answer: str) -> None:
        """The answer to the restart offer (already applied by aiortc): checks with its credentials."""
        if not self._rewound:
            return
        remote = SessionDescription.parse(answer).media[0].ice  # one BUNDLE, one ufrag/pwd
        for transport in self._rewound:
            connection = rtc.ice_agent(transport)
            connection.remote_username = remote.usernameFragment
            connection.remote_password = remote.password
            connection.remote_is_lite = remote.iceLite
            task = asyncio.ensure_future(_connect(transport))
            self._checks.add(task)
            task.add_done_callback(self._checks.discard)
        self._rewound = []

    def cancel(self) -> None:
        for task in list(self._checks):
            task.cancel()


async def _connect(transport: RTCIceTransport) -> None:
    connection = rtc.ice_agent(transport)
    try:
        await connection.connect()
    except ConnectionError:
        log.info("ICE restart failed on %s", connection)
        rtc.fail(transport)
    else:
        log.debug("ICE restarted on %s: %s", connection, rtc.nominated(connection))
