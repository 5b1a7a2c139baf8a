"""Neko's legacy (v2) WebSocket on the room: what Neko's bundled Vue 2 UI sends, done on the room,
and what the room says, told in v2 (Neko's ``server/internal/http/legacy/``).

``gateway.py`` logs a v2 socket in and out, ``inbound.py`` does its messages, ``outbound.py``
translates the room's events for it, ``peer.py`` is its socket as the sessions hold it,
``shapes.py`` v2's shapes, ``room.py`` what the layer acts on and its bans. The socket's edge is
``web/v2socket.py``; the events are declared in ``spec/openapi.yaml`` (``x-websocket-v2``).
"""
