"""Uniform read access to a data set held in a folder, a ``.tar(.gz)`` or a ``.zip``."""

from __future__ import annotations

import os
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

__all__ = ["open_source"]


class _FolderSource:
    def __init__(self, root: Path):
        self.root = root
        self.label = str(root)
        self._files = {p.name: p for p in root.iterdir() if p.is_file()}

    def names(self) -> set[str]:
        return set(self._files)

    def read(self, name: str) -> bytes:
        return self._files[name].read_bytes()

    def path_of(self, name: str) -> str:
        return str(self._files[name])

    def iter_read(self, names):
        for name in sorted(names):
            yield name, self.read(name)

    def close(self) -> None:
        pass


class _ArchiveSource:
    """Files of an archive by their base name (archives may nest them in a folder)."""

    def __init__(self, path: Path):
        self.label = str(path)
        self._path = path
        if zipfile.is_zipfile(path):
            self._zip = zipfile.ZipFile(path)
            self._tar = None
            members = [m for m in self._zip.infolist() if not m.is_dir()]
            self._members = {PurePosixPath(m.filename).name: m for m in members}
        else:
            try:
                self._tar = tarfile.open(path, "r:*")
                members = [m for m in self._tar.getmembers() if m.isfile()]
            except (tarfile.TarError, EOFError, OSError) as exc:
                raise ValueError(
                    f"{path}: not a readable .tar.gz or .zip archive ({exc}); "
                    "download it again or pass the extracted folder"
                ) from None
            self._zip = None
            self._members = {PurePosixPath(m.name).name: m for m in members}

    def names(self) -> set[str]:
        return set(self._members)

    def read(self, name: str) -> bytes:
        member = self._members[name]
        try:
            if self._zip is not None:
                return self._zip.read(member)
            handle = self._tar.extractfile(member)
            return handle.read()
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
            raise ValueError(f"{self._path}: cannot read {name} from the archive ({exc})") from None

    def path_of(self, name: str) -> str:
        return f"{self._path}:{name}"

    def iter_read(self, names):
        """Read ``names`` in archive order (a compressed tar only seeks forward cheaply)."""
        wanted = set(names)
        order = list(self._members)  # insertion order is archive order
        for name in order:
            if name in wanted:
                yield name, self.read(name)

    def close(self) -> None:
        (self._zip or self._tar).close()


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
