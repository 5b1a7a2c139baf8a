"""operationIds, methods, paths and tags are Neko's: they are the method names of every SDK.

The table is the operation list of Neko v3's published API.
An operation that is renamed, moved or retagged breaks generated clients, so it
fails here; an operation Neko does not have must be added to the table on
purpose.
"""

from __future__ import annotations

import pytest

from tests.support.spec_samples import OPERATIONS

NEKO: dict[str, tuple[str, str, str]] = {
    "healthcheck": ("get", "/health", "general"),
    "metrics": ("get", "/metrics", "general"),
    "batch": ("post", "/api/batch", "general"),
    "stats": ("get", "/api/stats", "general"),
    "login": ("post", "/api/login", "session"),
    "logout": ("post", "/api/logout", "session"),
    "whoami": ("get", "/api/whoami", "session"),
    "profile": ("post", "/api/profile", "session"),
    "sessionsGet": ("get", "/api/sessions", "sessions"),
    "sessionGet": ("get", "/api/sessions/{sessionId}", "sessions"),
    "sessionRemove": ("delete", "/api/sessions/{sessionId}", "sessions"),
    "sessionDisconnect": ("post", "/api/sessions/{sessionId}/disconnect", "sessions"),
    "membersList": ("get", "/api/members", "members"),
    "membersCreate": ("post", "/api/members", "members"),
    "membersGetProfile": ("get", "/api/members/{memberId}", "members"),
    "membersUpdateProfile": ("post", "/api/members/{memberId}", "members"),
    "membersRemove": ("delete", "/api/members/{memberId}", "members"),
    "membersUpdatePassword": ("post", "/api/members/{memberId}/password", "members"),
    "membersBulkUpdate": ("post", "/api/members_bulk/update", "members"),
    "membersBulkDelete": ("post", "/api/members_bulk/delete", "members"),
    "settingsGet": ("get", "/api/room/settings", "room"),
    "settingsSet": ("post", "/api/room/settings", "room"),
    "controlStatus": ("get", "/api/room/control", "room"),
    "controlRequest": ("post", "/api/room/control/request", "room"),
    "controlRelease": ("post", "/api/room/control/release", "room"),
    "controlTake": ("post", "/api/room/control/take", "room"),
    "controlGive": ("post", "/api/room/control/give/{sessionId}", "room"),
    "controlReset": ("post", "/api/room/control/reset", "room"),
    # Neko's plugins: their routes are Neko's server's (its published spec leaves them out,
    # so the operationIds are ours); a client calls the paths, trailing slashes included.
    "chatSend": ("post", "/api/chat/", "chat"),
    "filetransferDownload": ("get", "/api/filetransfer/", "filetransfer"),
    "filetransferUpload": ("post", "/api/filetransfer/", "filetransfer"),
    "filetransferRemove": ("delete", "/api/filetransfer/", "filetransfer"),
    "openinappOpenLink": ("post", "/api/openinapp/openlink", "openinapp"),
    # desktop: screen and keyboard
    "screenConfiguration": ("get", "/api/room/screen", "screen"),
    "screenConfigurationChange": ("post", "/api/room/screen", "screen"),
    "screenConfigurationsList": ("get", "/api/room/screen/configurations", "screen"),
    "screenShotImage": ("get", "/api/room/screen/shot.jpg", "screen"),
    "keyboardMapGet": ("get", "/api/room/keyboard/map", "keyboard"),
    "keyboardMapSet": ("post", "/api/room/keyboard/map", "keyboard"),
    "keyboardModifiersGet": ("get", "/api/room/keyboard/modifiers", "keyboard"),
    "keyboardModifiersSet": ("post", "/api/room/keyboard/modifiers", "keyboard"),
    # desktop input and output: clipboard and uploads
    "clipboardGetText": ("get", "/api/room/clipboard", "clipboard"),
    "clipboardSetText": ("post", "/api/room/clipboard", "clipboard"),
    "clipboardGetImage": ("get", "/api/room/clipboard/image.png", "clipboard"),
    "uploadDrop": ("post", "/api/room/upload/drop", "upload"),
    "uploadDialog": ("post", "/api/room/upload/dialog", "upload"),
    "uploadDialogClose": ("delete", "/api/room/upload/dialog", "upload"),
    # broadcast and screencast
    "broadcastStatus": ("get", "/api/room/broadcast", "broadcast"),
    "broadcastStart": ("post", "/api/room/broadcast/start", "broadcast"),
    "broadcastStop": ("post", "/api/room/broadcast/stop", "broadcast"),
    "screenCastImage": ("get", "/api/room/screen/cast.jpg", "screen"),
    # Ours, not Neko's (added on purpose): automation over CDP, share links, the browser's profile.
    "cdpConnect": ("get", "/api/room/cdp", "automation"),
    "mediaSocket": ("get", "/api/room/media", "room"),
    "cdpVersion": ("get", "/api/room/cdp/json/version", "automation"),
    "cdpVersionTrailingSlash": ("get", "/api/room/cdp/json/version/", "automation"),
    "automationStatus": ("get", "/api/room/automation", "automation"),
    "automationHandover": ("post", "/api/room/automation/handover", "automation"),
    "automationTake": ("post", "/api/room/automation/take", "automation"),
    "automationGiveBack": ("post", "/api/room/automation/give-back", "automation"),
    "linksList": ("get", "/api/links", "links"),
    "linksCreate": ("post", "/api/links", "links"),
    "linksRevoke": ("delete", "/api/links/{linkId}", "links"),
    "loginLink": ("post", "/api/login/link", "links"),
    "browserProfileExport": ("get", "/api/room/browser/profile", "browser"),
    "browserProfileImport": ("post", "/api/room/browser/profile", "browser"),
    "browserProfileReset": ("delete", "/api/room/browser/profile", "browser"),
    # Ours too: recordings of the room.
    "recordingStatus": ("get", "/api/room/recording", "recording"),
    "recordingStart": ("post", "/api/room/recording/start", "recording"),
    "recordingStop": ("post", "/api/room/recording/stop", "recording"),
    "recordingsList": ("get", "/api/room/recordings", "recording"),
    "recordingDownload": ("get", "/api/room/recordings/{name}", "recording"),
    "recordingRemove": ("delete", "/api/room/recordings/{name}", "recording"),
    # Neko's legacy (v2) routes (server/internal/http/legacy/handler.go); the operationIds are ours.
    "legacyStats": ("get", "/stats", "legacy"),
    "legacyScreenshot": ("get", "/screenshot.jpg", "legacy"),
    "legacyFileDownload": ("get", "/file", "legacy"),
    "legacyFileUpload": ("post", "/file", "legacy"),
    "legacyFileRemove": ("delete", "/file", "legacy"),
}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_operation_is_nekos(name: str) -> None:
    assert name in NEKO, f"{name} is not a Neko operationId"
    op = OPERATIONS[name]
    assert (op.method, op.path, op.tag) == NEKO[name]
