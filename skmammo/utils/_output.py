"""The one output-folder policy of every skmammo job: a manifest of what skmammo wrote.

- skmammo writes ``.skmammo-manifest.json`` into every output folder,
  listing the files (relative paths) it wrote there;
- it refuses to write into a non-empty folder without a manifest (a folder
  skmammo did not make) unless ``overwrite=True`` (``--force``); it then
  writes its files beside the others and never removes a file it did not
  write;
- on a rerun into a skmammo folder, the files of the previous run that this
  run does not write again (stale case reports, ...) are removed when the
  run finishes (:meth:`OutputFolder.finish`), and the new manifest replaces
  the old one: a finished folder never mixes two runs.

The manifest lists a file *before* it is written, so a run killed at any
point leaves a folder whose manifest covers every file skmammo put there
(``"complete": false`` until ``finish``); the next run cleans it up.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from skmammo.utils._io import atomic_write

__all__ = ["MANIFEST", "OutputFolder", "output_folder"]

logger = logging.getLogger("skmammo")

#: The name of the manifest skmammo writes into every output folder.
MANIFEST = ".skmammo-manifest.json"


def _relative(name: str | os.PathLike) -> str:
    """``name`` as a relative POSIX path inside the folder, or a ValueError."""
    rel = PurePosixPath(Path(name).as_posix())
    if rel.is_absolute() or not rel.parts or ".." in rel.parts or rel.name == MANIFEST:
        raise ValueError(f"{name!s} is not a file name inside the output folder")
    return str(rel)


def _is_temporary(path: Path) -> bool:
    """A temporary file ``atomic_write`` leaves behind only when its process is killed."""
    return path.name.startswith(".") and path.name.endswith(".part")


class OutputFolder(os.PathLike):
    """An output folder under skmammo's one output-folder policy (this module's docstring).

    Opening one creates the folder if needed, checks that it can be written
    and that it is empty or made by skmammo (or ``overwrite=True``), and
    records it as skmammo's at once.  Write files with :meth:`write` (or
    write them yourself and :meth:`record` them); call :meth:`finish` when
    the job is done (or use it as a context manager, which finishes on
    success and, on failure, removes a folder it created and left empty:
    :meth:`discard`).  ``folder / "name"`` is the :class:`~pathlib.Path` of a file.

    Parameters
    ----------
    path : str or path-like
        The folder.
    overwrite : bool, default=False
        Allow writing into a non-empty folder that has no skmammo manifest
        (its files are kept; same-named files are replaced).

    Raises
    ------
    FileExistsError
        If ``path`` is not empty and has no manifest, and not ``overwrite``.
    OSError
        If ``path`` is a file, cannot be created or is not writable.

    Examples
    --------
    >>> import tempfile
    >>> with OutputFolder(tempfile.mkdtemp()) as out:
    ...     _ = out.write("report.html", "<p>hello</p>")
    >>> sorted(out.written)
    ['report.html']
    """

    def __init__(self, path: str | os.PathLike, *, overwrite: bool = False) -> None:
        self.created = not Path(path).expanduser().exists()
        self.path = output_folder(Path(path).expanduser())
        self.overwrite = bool(overwrite)
        manifest = self.path / MANIFEST
        previous: list[str] = []
        if manifest.exists():
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
                previous = [_relative(f) for f in data["files"]]
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(
                    f"{manifest} is not a readable skmammo manifest ({exc}); delete it (and the "
                    "files you no longer need) or choose another output folder"
                ) from None
        others = sorted(p.name for p in self.path.iterdir() if not _is_temporary(p))
        if manifest.exists() or not others:
            for leftover in self.path.rglob(".*.part"):
                if _is_temporary(leftover) and leftover.is_file():
                    leftover.unlink(missing_ok=True)  # a killed run's temporary file
        elif not self.overwrite:
            shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
            raise FileExistsError(
                f"the output folder {self.path} is not empty ({shown}) and was not made by "
                f"skmammo (it has no {MANIFEST}); choose a new or empty folder, or allow "
                "writing into it with overwrite=True (skmammo --force): skmammo then "
                "replaces only the files it writes"
            )
        self.previous: list[str] = previous
        self.written: list[str] = []
        self.complete = False
        self._save()

    # ---------------------------------------------------------------- path-like
    def __fspath__(self) -> str:
        return str(self.path)

    def __truediv__(self, name: str | os.PathLike) -> Path:
        return self.path / name

    def __str__(self) -> str:
        return str(self.path)

    def __repr__(self) -> str:
        return f"OutputFolder({str(self.path)!r})"

    # ---------------------------------------------------------------- writing
    def _save(self) -> None:
        files = self.written if self.complete else sorted(set(self.previous) | set(self.written))
        body = {"skmammo_manifest": 1, "complete": self.complete, "files": sorted(files)}
        atomic_write(self.path / MANIFEST, json.dumps(body, indent=1) + "\n")

    def record(self, name: str | os.PathLike) -> Path:
        """List ``name`` (relative to the folder) as written by this run; return its path.

        Call it *before* writing the file yourself (a file kept from a resumed
        run is recorded too).  Its folder is created.
        """
        rel = _relative(name)
        if rel not in self.written:
            self.written.append(rel)
            self._save()
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write(self, name: str | os.PathLike,
              data: bytes | str | Callable[[BinaryIO], None]) -> Path:
        """Record ``name`` and write ``data`` to it atomically (:func:`atomic_write`)."""
        return atomic_write(self.record(name), data)

    def clear(self) -> list[Path]:
        """Remove now every file the previous run listed (to start a job afresh)."""
        removed = self._remove(self.previous)
        self.previous = []
        self._save()
        return removed

    def finish(self) -> list[Path]:
        """Remove the previous run's files this run did not write; save the final manifest.

        May be called again after more writes (each call completes the
        manifest).  Returns the removed files.
        """
        kept = set(self.written)
        stale = [f for f in self.previous if f not in kept]
        removed = self._remove(stale)
        self.previous = []
        self.complete = True
        self._save()
        if removed:
            logger.info("%s: removed %d file(s) of the previous run: %s", self.path,
                        len(removed), ", ".join(str(p.relative_to(self.path)) for p in removed[:5]))
        return removed

    def _remove(self, names: list[str]) -> list[Path]:
        removed = []
        root = self.path.resolve()
        for rel in names:
            target = self.path / rel
            if not target.resolve().is_relative_to(root) or not target.is_file():
                continue
            target.unlink()
            removed.append(target)
            parent = target.parent
            while parent != self.path and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
        return removed

    def discard(self) -> bool:
        """Remove the folder if this object created it and it holds nothing but the manifest.

        What a failed job calls, so it leaves no empty output folder behind; a
        folder that existed before, or that holds anything else, is kept.
        Returns whether the folder was removed.
        """
        if not self.created or not self.path.is_dir():
            return False
        if any(p.name != MANIFEST for p in self.path.rglob("*") if not p.is_dir()):
            return False
        for folder in sorted((p for p in self.path.rglob("*") if p.is_dir()), reverse=True):
            folder.rmdir()
        (self.path / MANIFEST).unlink(missing_ok=True)
        self.path.rmdir()
        return True

    def __enter__(self):
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *args: object) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.discard()  # a failed job leaves no empty folder it made


def output_folder(path: str | os.PathLike) -> Path | OutputFolder:
    """Create the output folder ``path`` if needed and check it can be written; return it.

    Called before any long work, so a bad output folder fails at once.  An
    :class:`~skmammo.utils.OutputFolder` (the output-folder policy: a
    manifest of what skmammo wrote) is returned as it is, so a job that is
    handed one writes into it and its manifest.

    Raises
    ------
    OSError
        If ``path`` is a file, cannot be created or is not writable.

    Examples
    --------
    >>> import tempfile; output_folder(tempfile.mkdtemp()).is_dir()
    True
    """
    if isinstance(path, OutputFolder):
        path.path.mkdir(parents=True, exist_ok=True)
        return path
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OSError(f"the output path {out} exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(f"cannot create the output folder {out}: {exc.strerror or exc}") from None
    if not os.access(out, os.W_OK):
        raise PermissionError(f"the output folder {out} is not writable; choose another one")
    return out
