"""A self-signed certificate for 127.0.0.1, made with openssl as an operator would make one."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

from .patience import REPLY


def self_signed(folder: Path, address: str = "127.0.0.1") -> tuple[Path, Path]:
    """(certificate, key) files in ``folder`` for ``address``, valid for a day."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    command += ["-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", f"/CN={address}"]
    command += ["-addext", f"subjectAltName=IP:{address}"]
    subprocess.run(command, check=True, capture_output=True, timeout=REPLY)
    return cert, key


def trusting(cert: Path) -> ssl.SSLContext:
    """A client context that trusts ``cert`` alone."""
    return ssl.create_default_context(cafile=str(cert))
