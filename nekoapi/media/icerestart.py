"""ICE restart (``signal/restart``), which aiortc does not implement.

aiortc starts each transport's aioice ``Connection`` once, and a renegotiated offer keeps its
ufrag/pwd, so the client sees no restart. Replacing the ``Connection`` would lose the sockets
and the receive queue the DTLS transport reads from; it is rewound instead. The next offer
carries new local credentials (aiortc reads them from the ``Connection``); the old check list
and remote candidates are dropped; checks that arrive with the new credentials are answered
and held, as before a first ``connect()``; the answer's credentials then start ``connect()``
again. The sockets stay, and so does the selected pair until a new one is nominated: the
DTLS session, SRTP and SCTP above never notice. Private aioice and aiortc attributes are
used (aioice 0.13, aiortc 1.16).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import types

from aioice import Connection
from aioice.utils import random_string
from aiortc import RTCIceTransport
from aiortc.sdp import SessionDescription

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
            await _rewind(transport._connection)
            transport.iceGatherer._remote_candidates_end = False
        self._rewound = found

    def finish(self, answer: str) -> None:
        """The answer to the restart offer (already applied by aiortc): checks with its credentials."""
        if not self._rewound:
            return
        remote = SessionDescription.parse(answer).media[0].ice  # one BUNDLE, one ufrag/pwd
        for transport in self._rewound:
            connection = transport._connection
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


async def _rewind(connection: Connection) -> None:
    consent = connection._query_consent_task
    if consent is not None:
        consent.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consent
    connection._query_consent_task = None
    for pair in connection._check_list:
        if pair.task is not None:
            pair.task.cancel()
    connection._local_username = random_string(4)
    connection._local_password = random_string(22)
    # Unknown until the answer: incoming checks are then matched on our half of USERNAME only.
    connection.remote_username = connection.remote_password = None
    connection._remote_candidates = []
    connection._remote_candidates_end = False
    connection._check_list = []
    connection._check_list_done = False
    connection._check_list_state = asyncio.Queue()
    connection._nominating = set()
    connection._early_checks.clear()
    connection._early_checks_done = False
    connection._check_list_maybe_complete = types.MethodType(_maybe_complete, connection)  # type: ignore[method-assign]


def _maybe_complete(self: Connection) -> bool:
    # The old generation's pair stays nominated (it carries the media, and recv() needs a
    # nominated pair), but it is in no check list of the new one: it must not complete it.
    if any(pair not in self._check_list for pair in self._nominated.values()):
        return False
    return Connection._check_list_maybe_complete(self)


async def _connect(transport: RTCIceTransport) -> None:
    connection = transport._connection
    try:
        await connection.connect()
    except ConnectionError:
        log.info("ICE restart failed on %s", connection)
        transport._RTCIceTransport__setState("failed")  # aiortc then fails the peer connection
    else:
        log.debug("ICE restarted on %s: %s", connection, connection._nominated)
