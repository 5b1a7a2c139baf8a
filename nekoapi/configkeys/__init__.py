"""The configuration keys, one module per concern, as Neko's ``server/internal/config/<concern>.go``.

Each key is declared once, as a field of a section dataclass (``declare.key``): its default, its
meaning (the README table and ``nekoapi serve --help`` are generated from it), its parser (by the
field's type unless ``parse=`` is given) and check, whether it is a secret, its command-line option,
and its Neko v2 names. ``nekoapi.config`` reads the keys from the YAML file, the environment and the
options, and is the one place that reports a bad value, naming the key as it was written.

Adding a key is one field plus its test (then ``python -m nekoapi.configdoc`` for the README)::

    # a plain key: NEKO_CHAT_HISTORY, ``chat: {history: ...}``
    history: int = key(50, "messages kept for late joiners (ours)")
    # a secret: never shown in a message
    token: str = key("", "token of the relay (empty: none)", secret=True)
    # a parsed key with a check on the parsed value (a parser raises declare.Invalid)
    window: PortRange | None = key(None, "UDP ports `min-max`", parse=port_range, check=_above_1024)
    # a check across keys: gets the whole configuration; the message blames this key
    path: str = key("", "members file", cross_check=lambda c: ... if c.member.provider == "file" ... else None)
    # a Neko v2 name (wins over the v3 one; may convert its value and set other keys), or one refused
    screen: ScreenSize = key(..., legacy=(Legacy("screen"),))
    user_password: str = key(..., legacy=(Legacy("password", implies={"member.provider": "multiuser"}),))
    pipelines: dict[str, Rung] = key(..., legacy=(Legacy("video", refused="a GStreamer pipeline; see ..."),))
"""
