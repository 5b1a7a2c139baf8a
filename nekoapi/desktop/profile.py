"""The browser's profile folder (``desktop.profile``): reset, exported and imported as a tar archive.

Reset and import stop the browser first and start it again after (the app supervisor's
``halted``). An import is checked and unpacked into a staging folder beside the profile before
anything changes: only regular files and folders, every path inside the profile, at most
``desktop.profile_max_size`` bytes and ``MAX_ENTRIES`` entries in all; then the staging folder
takes the profile's place (a rename). An export is taken while the browser runs, without the
caches it rebuilds by itself, its lock files, and any symbolic link.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from .. import errors
from .app import AppSupervisor

MAX_ENTRIES = 200_000
# Rebuilt by the browser; often most of a profile's bytes.
SKIPPED_FOLDERS = frozenset(
    {
        "Cache",
        "Code Cache",
        "GPUCache",
        "ShaderCache",
        "GrShaderCache",
        "GraphiteDawnCache",
        "DawnCache",
        "DawnGraphiteCache",
        "DawnWebGPUCache",
        "Crashpad",
        "component_crx_cache",
        "extensions_crx_cache",
    }
)
SKIPPED_FILES = frozenset({"SingletonLock", "SingletonSocket", "SingletonCookie", "DevToolsActivePort"})


class BrowserProfile:
    def __init__(self, app: AppSupervisor, max_size: int, enabled: bool) -> None:
        self._app, self._max_size, self._enabled = app, max_size, enabled
        self._busy = asyncio.Lock()

    def _require(self) -> None:
        if not self._enabled:
            raise errors.DesktopUnavailable("desktop is not available: desktop.enabled is false")
        if self._busy.locked():
            raise errors.ProfileBusy()

    async def reset(self) -> None:
        self._require()
        async with self._busy, self._app.halted():
            await asyncio.to_thread(_empty, self._app.profile)

    async def export(self) -> Path:
        """A gzip-compressed tar file of the profile; the caller removes it."""
        self._require()
        async with self._busy:
            return await asyncio.to_thread(_pack, self._app.profile)

    async def import_archive(self, archive: Path) -> None:
        self._require()
        async with self._busy:
            staging = await asyncio.to_thread(_unpack_beside, archive, self._app.profile, self._max_size)
            try:
                async with self._app.halted():
                    await asyncio.to_thread(_swap, staging, self._app.profile)
            finally:
                await asyncio.to_thread(shutil.rmtree, staging, True)


def _empty(profile: Path) -> None:
    if profile.exists():
        shutil.rmtree(profile)
    profile.mkdir(parents=True)


def _pack(profile: Path) -> Path:
    descriptor, name = tempfile.mkstemp(prefix="nekoapi-profile-", suffix=".tar.gz")
    os.close(descriptor)
    try:
        with tarfile.open(name, "w:gz") as tar:
            for folder, dirs, files in os.walk(profile):
                dirs[:] = [d for d in dirs if d not in SKIPPED_FOLDERS and not os.path.islink(os.path.join(folder, d))]
                for entry in [*dirs, *files]:
                    _add(tar, Path(folder) / entry, profile)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


def _add(tar: tarfile.TarFile, path: Path, profile: Path) -> None:
    if path.name in SKIPPED_FILES or path.is_symlink() or not (path.is_file() or path.is_dir()):
        return
    with contextlib.suppress(FileNotFoundError):  # the browser removed it meanwhile
        tar.add(path, arcname=str(path.relative_to(profile)), recursive=False)


def _unpack_beside(archive: Path, profile: Path, max_size: int) -> Path:
    profile.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{profile.name}.import-", dir=profile.parent))
    try:
        _unpack(archive, staging, max_size)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def _unpack(archive: Path, into: Path, max_size: int) -> None:
    try:
        tar = tarfile.open(archive, "r:*")  # noqa: SIM115 (closed below, once it is known to open)
    except (tarfile.TarError, OSError, EOFError):
        raise errors.ProfileArchiveInvalid("not a tar archive (gzip-compressed or not)") from None
    total = entries = 0
    with tar:
        try:
            for member in tar:
                _check(member)
                entries += 1
                total += member.size if member.isfile() else 0
                if total > max_size:
                    raise errors.ProfileArchiveTooLarge()
                if entries > MAX_ENTRIES:
                    raise errors.ProfileArchiveInvalid(f"more than {MAX_ENTRIES} entries")
                tar.extract(member, into, filter="data")
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise errors.ProfileArchiveInvalid(f"the archive cannot be read ({type(exc).__name__})") from None


def _check(member: tarfile.TarInfo) -> None:
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts:
        raise errors.ProfileArchiveInvalid(f"{member.name!r}: paths must stay inside the profile")
    if not (member.isfile() or member.isdir()):
        raise errors.ProfileArchiveInvalid(f"{member.name!r}: only files and folders (no links or devices)")


def _swap(staging: Path, profile: Path) -> None:
    old = profile.with_name(f".{profile.name}.old-{os.getpid()}")
    if profile.exists():
        shutil.rmtree(old, ignore_errors=True)
        profile.rename(old)
    staging.rename(profile)
    os.chmod(profile, 0o700)
    shutil.rmtree(old, ignore_errors=True)
