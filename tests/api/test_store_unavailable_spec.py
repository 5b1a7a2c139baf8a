"""Every operation that needs the shared session store documents its 503."""

from __future__ import annotations

from nekoapi.web.spec import _raw_spec, operations


def test_operations_that_need_the_store_declare_503_as_error_message() -> None:
    spec = _raw_spec()
    unavailable = spec["components"]["responses"]["StoreUnavailable"]
    assert unavailable["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorMessage"}
    # /health reports the store, /metrics counts locally, /api/batch only forwards
    # (its sub-requests answer 503 themselves); everything else may need the store.
    # Member operations need the member database too (postgres, sqlite).
    needing = [info for info in operations(spec).values() if info.path.startswith("/api") and info.path != "/api/batch"]
    assert len(needing) >= 25
    # The desktop's and the plugins' operations declare one 503 for their own causes and the store's.
    for info in needing:
        declared = info.operation["responses"].get("503")
        assert declared is not None, info.operation_id
        if "$ref" in declared:
            declared = spec["components"]["responses"][declared["$ref"].rsplit("/", 1)[1]]
        assert "session store" in declared["description"], info.operation_id
        assert declared["content"] == unavailable["content"], info.operation_id
