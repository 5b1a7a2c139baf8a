"""Issue 9: every operation that needs the shared store documents its 503."""

from __future__ import annotations

from nekoapi.web.spec import _raw_spec, operations


def test_operations_that_need_the_store_declare_503_as_error_message() -> None:
    spec = _raw_spec()
    unavailable = spec["components"]["responses"]["StoreUnavailable"]
    assert unavailable["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorMessage"}
    # /health reports the store, /metrics counts locally, /api/batch only forwards
    # (its sub-requests answer 503 themselves); everything else may need the store.
    # Member operations (issue 3) are left to the members tag: only those that change sessions need the store.
    needing = [
        info
        for info in operations(spec).values()
        if info.path.startswith("/api") and info.path != "/api/batch" and info.tag != "members"
    ]
    assert len(needing) >= 17
    for info in needing:
        declared = info.operation["responses"].get("503")
        if declared == {"$ref": "#/components/responses/StoreUnavailable"}:
            continue
        # Operations with 503s of their own (a missing desktop, an unreadable directory) name the store too.
        if declared is not None and "$ref" in declared:
            declared = spec["components"]["responses"][declared["$ref"].rsplit("/", 1)[1]]
        assert declared is not None and "shared session store" in declared["description"], info.operation_id
        assert declared["content"] == unavailable["content"], info.operation_id
