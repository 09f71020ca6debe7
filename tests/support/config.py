"""The configuration tests and benchmarks start from: the repository's ``config.yaml`` on a temp folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent


def base_config_data(tmp_path: Path) -> dict[str, Any]:
    """The repo's config.yaml, pointed at a temp database, with private targets allowed."""
    data: dict[str, Any] = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["database_url"] = f"sqlite:///{tmp_path / 'test.db'}"
    data["data_dir"] = str(tmp_path / "data")
    data["sources"] = []
    data["http"]["allow_private_targets"] = True
    data["outputs"]["out_dir"] = str(tmp_path / "out")
    return data
