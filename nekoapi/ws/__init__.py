"""The session WebSocket: peers, the message protocol, and the event broadcaster."""
