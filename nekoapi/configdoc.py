"""What each configuration key means, for ``nekoapi serve --help`` and the README table.

A test fails when a key of the tree has no line here (or a line here names no
key), so the help and the README cannot fall behind the configuration.
"""

from __future__ import annotations

MEANING: dict[str, str] = {
    "server.bind": "address and port to serve on",
    "server.proxy": "trust X-Forwarded-For/-Proto (enable only behind a reverse proxy)",
    "server.cors": "origins allowed to call the API from a browser (list; `*` for any)",
    "server.metrics": "serve Prometheus metrics at /metrics",
    "server.path_prefix": "serve every route (API, /api/ws, /openapi.json) under this path",
    "server.batch_limit": "most sub-requests in one POST /api/batch (ours)",
    "server.max_header_size": "requests with more header bytes are refused with 431 (ours)",
    "server.max_url_length": "requests with a longer URL are refused with 414 (ours)",
    "session.private_mode": "room setting: private mode",
    "session.locked_logins": "only administrators may log in",
    "session.locked_controls": "only administrators may take control",
    "session.control_protection": "lock controls while no administrator is connected",
    "session.implicit_hosting": "room setting: implicit hosting",
    "session.inactive_cursors": "room setting: show inactive cursors",
    "session.merciful_reconnect": "a second socket replaces the first instead of being refused",
    "session.heartbeat_interval": "seconds between system/heartbeat events and protocol pings",
    "session.api_token": "fixed token (32+ chars) acting as the built-in administrator session `API` (empty: off)",
    "session.file": "SQLite file that keeps sessions across restarts (empty: memory only)",
    "session.store": "where sessions, host, settings and stats live: `memory` or `redis` (shared by workers; ours)",
    "session.reconnect_grace": "how long an abnormally dropped socket keeps its session connected (ours)",
    "session.send_queue_size": "events queued for one socket before it is closed as too slow (ours)",
    "session.ws_max_message_size": "largest WebSocket message a client may send, in bytes (ours)",
    "session.ws_message_rate": "WebSocket messages a client may send per second, bursts of twice that (ours)",
    "session.login_throttle.enabled": "throttle failed logins per client address and per username (ours)",
    "session.login_throttle.free_attempts": "failed logins allowed before the back-off starts (ours)",
    "session.login_throttle.base_delay": "wait after the first throttled failure; doubles with each more (ours)",
    "session.login_throttle.max_delay": "longest wait between login attempts (ours)",
    "session.login_throttle.max_tracked": "addresses and usernames the throttle remembers, each (ours)",
    "session.cookie.enabled": "login sets the token in a cookie instead of the body",
    "session.cookie.name": "cookie name",
    "session.cookie.expiration": "cookie lifetime",
    "session.cookie.secure": "cookie only over HTTPS",
    "session.cookie.http_only": "cookie hidden from scripts",
    "session.cookie.domain": "cookie domain",
    "session.cookie.path": "cookie path",
    "member.provider": "where members live",
    "member.multiuser.admin_password": "multiuser: the password that logs in as an administrator",
    "member.multiuser.user_password": "multiuser: the password that logs in as a user",
    "member.multiuser.admin_profile": "multiuser: JSON merged onto the administrator profile",
    "member.multiuser.user_profile": "multiuser: JSON merged onto the user profile",
    "log.json": "one JSON object per log line instead of plain text",
    "log.level": "debug, info, warning or error",
    "redis.url": "Redis server of `session.store: redis` (ours)",
    "redis.prefix": "prefix of every Redis key and of the event channel (ours)",
}
