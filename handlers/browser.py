"""Tag ``browser``: the room's browser profile (ours; administrators only, by the spec's access rule)."""

from __future__ import annotations

import os

from starlette.background import BackgroundTask
from starlette.responses import FileResponse, Response

from nekoapi import errors
from nekoapi.web.multipart import form_of
from nekoapi.web.state import request_scope

from ._reply import no_content, services


async def browser_profile_export() -> Response:
    path = await services().browser_profile.export()
    return FileResponse(
        path,
        media_type="application/gzip",
        filename="browser-profile.tar.gz",
        background=BackgroundTask(os.unlink, path),
    )


async def browser_profile_import() -> Response:
    form = form_of(request_scope())
    try:
        archives = form.files_of("archive")
        if not archives:
            raise errors.ProfileArchiveInvalid("no archive in the form (a file field named archive)")
        await services().browser_profile.import_archive(archives[0].path)
    finally:
        await form.aclose()
    return no_content()


async def browser_profile_reset() -> Response:
    await services().browser_profile.reset()
    return no_content()
