"""Writing files so that a killed process never leaves half a file.

Owns: :func:`write_atomic` (temp file in the same folder, fsync, rename). Used by saved copies
(``archive/``) and every output file (``digest/``). Files are readable by others as a plain
``open()`` would make them (``0666`` less the umask: usually ``0644``), so a web server running as
another user or a shared folder of posters can read them; ``private=True`` keeps a file ``0600``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def current_umask() -> int:
    """The process umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes | str, *, private: bool = False) -> Path:
    """Write ``data`` to ``path``: readers see the old file or the whole new one, never a part.

    The file gets ``0666 & ~umask`` (``0600`` with ``private``), not ``mkstemp``'s ``0600``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = 0o600 if private else 0o666 & ~current_umask()
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
