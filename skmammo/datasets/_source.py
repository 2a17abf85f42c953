"""Uniform read access to a data set held in a folder, a ``.tar(.gz)`` or a ``.zip``.

Files are found by base name (archives may nest them in a folder).  A name
that is ambiguous -- two archive members of one base name in different
folders -- is refused when it is read, naming both members, rather than
letting one silently win.  Every archive error (corrupt, truncated,
encrypted, unsupported compression) is a ``ValueError`` naming the archive.
"""

from __future__ import annotations

import lzma
import os
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from skmammo.datasets._pgm import HEADER_BYTES

__all__ = ["ARCHIVE_SUFFIXES", "one_line", "open_source"]

_CHUNK = 1 << 20

#: What reading a damaged archive may raise, besides ValueError.
_ARCHIVE_ERRORS = (
    tarfile.TarError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, zlib.error,
    lzma.LZMAError, RuntimeError, NotImplementedError, UnicodeDecodeError,
)


def one_line(exc: BaseException) -> str:
    """An archive error in one line: tarfile lists every compression it tried, one a line."""
    text = str(exc).strip()
    if isinstance(exc, tarfile.ReadError) and "\n" in text:
        return "neither a zip nor a tar, tar.gz, tar.bz2 or tar.xz file"
    return " ".join(text.split()) or type(exc).__name__


#: Archive names looked for beside a folder without Info.txt (a common mix-up).
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz", ".zip")


class _Source:
    """What both kinds of source share: reading a file with an optional check of its start."""

    label: str

    def read(self, name: str, check=None) -> bytes:
        """The bytes of ``name``; ``check(prefix, size)`` may refuse it from its first 64 KiB."""
        handle, size = self._open(name)
        with handle:
            if check is None:
                return handle.read()
            prefix = handle.read(min(size, HEADER_BYTES))
            check(prefix, size)
            return prefix + handle.read()

    def iter_read(self, names, check=None):
        """Yield ``(name, bytes)`` for ``names``; ``check(name)`` gives the check for a name."""
        for name in self._order(names):
            yield name, self.read(name, None if check is None else check(name))

    def close(self) -> None:
        pass


class _FolderSource(_Source):
    def __init__(self, root: Path):
        self.root = root
        self.label = str(root)
        self._files = {p.name: p for p in root.iterdir() if p.is_file()}

    def names(self) -> set[str]:
        return set(self._files)

    def _open(self, name: str):
        path = self._files[name]
        return open(path, "rb"), path.stat().st_size

    def path_of(self, name: str) -> str:
        return str(self._files[name])

    def _order(self, names):
        return sorted(names)


class _ArchiveSource(_Source):
    """Files of an archive by their base name (archives may nest them in a folder)."""

    def __init__(self, path: Path):
        self.label = str(path)
        self._path = path
        self._zip = self._tar = None
        try:
            if zipfile.is_zipfile(path):
                self._zip = zipfile.ZipFile(path)
                members = [(m.filename, m) for m in self._zip.infolist() if not m.is_dir()]
            else:
                self._tar = tarfile.open(path, "r:*")
                members = [(m.name, m) for m in self._tar.getmembers() if m.isfile()]
                # Read on to the end of the compressed stream: gzip (bz2, xz) checks its
                # checksum only there, and tarfile stops at the end-of-archive marker --
                # without this a damaged .tar.gz could yield altered films unnoticed.
                while self._tar.fileobj.read(_CHUNK):
                    pass
        except (*_ARCHIVE_ERRORS, ValueError) as exc:
            self.close()
            raise ValueError(
                f"{path}: not a readable .tar.gz or .zip archive ({one_line(exc)}); "
                "download it again or pass the extracted folder"
            ) from None
        # insertion order is archive order; a base name may (wrongly) occur twice
        self._members: dict[str, list] = {}
        for full, member in members:
            self._members.setdefault(PurePosixPath(full).name, []).append((full, member))

    def names(self) -> set[str]:
        return set(self._members)

    def _member(self, name: str):
        found = self._members[name]
        if len(found) > 1:
            raise ValueError(
                f"{self._path}: ambiguous: {len(found)} members are called {name} "
                f"({', '.join(full for full, _ in found)}); keep one of them (or extract the "
                "one you mean and pass its folder)"
            )
        return found[0][1]

    def _open(self, name: str):
        member = self._member(name)
        try:
            if self._zip is not None:
                return _Guarded(self._zip.open(member), self, name), member.file_size
            return _Guarded(self._tar.extractfile(member), self, name), member.size
        except (*_ARCHIVE_ERRORS, ValueError) as exc:
            raise self._error(name, exc) from None

    def _error(self, name: str, exc: BaseException) -> ValueError:
        return ValueError(f"{self._path}: cannot read {name} from the archive ({exc})")

    def path_of(self, name: str) -> str:
        return f"{self._path}:{name}"

    def _order(self, names):
        """Archive order (a compressed tar only seeks forward cheaply); ambiguity first."""
        wanted = set(names)
        for name in wanted:
            self._member(name)
        return [name for name in self._members if name in wanted]

    def close(self) -> None:
        for archive in (self._zip, self._tar):
            if archive is not None:
                archive.close()


class _Guarded:
    """A member's file object whose read errors become ValueErrors naming the archive."""

    def __init__(self, handle, source: _ArchiveSource, name: str):
        self._handle, self._source, self._name = handle, source, name

    def read(self, n: int = -1) -> bytes:
        try:
            return self._handle.read(n)
        except _ARCHIVE_ERRORS as exc:
            raise self._source._error(self._name, exc) from None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self._handle.close()
        except _ARCHIVE_ERRORS:
            pass


def open_source(path: str | os.PathLike):
    """Open ``path`` (a folder or an archive) for reading files by base name."""
    path = Path(path).expanduser()
    if path.is_dir():
        return _FolderSource(path)
    if path.is_file():
        return _ArchiveSource(path)
    raise FileNotFoundError(
        f"{path}: no such folder or archive; pass the folder holding Info.txt and the .pgm "
        "films, or the all-mias.tar.gz archive (fetch_mias() downloads it)"
    )
