"""Why the server ended a session's socket: the text ``system/disconnect`` carries.

They belong to the sessions, not to the transport: the session manager decides most of
them (a forced disconnect, a deleted session, a profile that may no longer connect), and
the socket's own limits (too slow, too large, flooding) end the session's socket all the same.
"""

DISCONNECTED = "session disconnected"
DELETED = "session deleted"
PROFILE_CHANGED = "profile changed"
REPLACED = "connection replaced"
ALREADY_CONNECTED = "already connected"
CONNECTION_DISABLED = "connection disabled"
TOO_SLOW = "connection too slow"
TOO_LARGE = "message too large"
FLOODING = "too many messages"
SHUTDOWN = "server shutdown"
