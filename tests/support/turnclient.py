"""A TURN client written from RFC 8656's messages (aioice's STUN codec), returning every answer as it
comes, so that a test sees each refusal (401, 403, 437) instead of a client library's retries."""

from __future__ import annotations

import asyncio
import hashlib
import socket

from aioice import stun

from .patience import REPLY


class TurnClient:
    """Allocate and CreatePermission (RFC 8656) over UDP, long-term credentials; every answer returned."""

    def __init__(self, relay: tuple[str, int]) -> None:
        self._relay = relay
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self._auth: dict[str, object] = {}
        self._key = b""

    def close(self) -> None:
        self._sock.close()

    async def ask(self, method: stun.Method, **attributes: object) -> stun.Message:
        request = stun.Message(method, stun.Class.REQUEST)
        request.attributes.update({**attributes, **self._auth})
        if self._key:
            request.add_message_integrity(self._key)
        loop = asyncio.get_running_loop()
        await loop.sock_sendto(self._sock, bytes(request), self._relay)
        while True:
            data = await asyncio.wait_for(loop.sock_recv(self._sock, 2048), REPLY)
            answer = stun.parse_message(data)
            if answer.transaction_id == request.transaction_id:
                return answer

    async def allocate(self, username: str, password: str) -> stun.Message:
        self._auth, self._key = {}, b""
        challenge = await self.ask(stun.Method.ALLOCATE, **{"REQUESTED-TRANSPORT": 0x11000000})
        assert challenge.attributes["ERROR-CODE"][0] == 401
        realm, nonce = challenge.attributes["REALM"], challenge.attributes["NONCE"]
        self._auth = {"USERNAME": username, "REALM": realm, "NONCE": nonce}
        self._key = hashlib.md5(f"{username}:{realm}:{password}".encode()).digest()
        return await self.ask(stun.Method.ALLOCATE, **{"REQUESTED-TRANSPORT": 0x11000000})

    async def permit(self, address: str) -> stun.Message:
        return await self.ask(stun.Method.CREATE_PERMISSION, **{"XOR-PEER-ADDRESS": (address, 9)})

    async def send(self, peer: tuple[str, int], data: bytes) -> None:
        indication = stun.Message(stun.Method.SEND, stun.Class.INDICATION)
        indication.attributes.update({"XOR-PEER-ADDRESS": peer, "DATA": data})
        await asyncio.get_running_loop().sock_sendto(self._sock, bytes(indication), self._relay)


def error_code(answer: stun.Message) -> int | None:
    found = answer.attributes.get("ERROR-CODE")
    return found[0] if found else None
