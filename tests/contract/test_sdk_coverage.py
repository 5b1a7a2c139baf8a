"""The SDK round trips must grow with the spec: once member operations exist, they must use them.

Once the members operations land, the member round trips in
tests/sdk/ (written against the members part of the spec) are switched on; this guard makes
sure every required operation is called by both generated clients.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.spec_samples import OPERATIONS

SDK = Path(__file__).parents[1] / "sdk"
# operationId -> what each round trip must contain to call it.
REQUIRED = {
    "login": ("login.sync", 'POST("/api/login"'),
    "sessionsGet": ("sessions_get.sync", 'GET("/api/sessions"'),
    "sessionDisconnect": ("session_disconnect.sync", 'POST("/api/sessions/{sessionId}/disconnect"'),
    "membersCreate": ("members_create.sync", 'POST("/api/members"'),
    "membersRemove": ("members_remove.sync", 'DELETE("/api/members/{memberId}"'),
}


PRESENT = sorted(op for op in REQUIRED if op in OPERATIONS)


def test_the_session_operations_are_always_covered() -> None:
    assert {"login", "sessionsGet", "sessionDisconnect"} <= set(PRESENT)


@pytest.mark.parametrize("operation_id", PRESENT)
def test_round_trips_call_the_operation(operation_id: str) -> None:
    python_call, typescript_call = REQUIRED[operation_id]
    python = "".join(path.read_text() for path in (SDK / "python").glob("*.py"))
    typescript = "".join(path.read_text() for path in (SDK / "ts").glob("*.ts"))
    assert python_call in python, f"python round trip: add {operation_id}"
    assert typescript_call in typescript, f"TypeScript round trip: add {operation_id}"
