"""Media: capture and encoding of the desktop (broadcast, screencast, WebRTC)."""
