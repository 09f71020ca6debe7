from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ecitizen.config import load_config, parse_config
from ecitizen.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def repo_config() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


def test_repo_config_is_valid_and_complete() -> None:
    cfg = load_config(ROOT / "config.yaml")
    assert cfg.timezone == "Asia/Omsk"
    assert len(cfg.topics) == 11
    titles = {t.title for t in cfg.topics}
    assert "Талон к врачу" in titles and "БезОпасный Интернет" in titles
    names = {s.name for s in cfg.sources}
    assert {"government-news", "sfr-news", "nalog-omsk", "omskportal-news"} <= names
    assert cfg.new_service_rules
    assert cfg.libraries


@pytest.mark.parametrize(
    ("mutate", "key", "problem"),
    [
        (lambda d: d["sources"].__setitem__(3, {**d["sources"][3], "url": "ftp://x"}), "sources[3].url", "not an http(s) URL"),
        (lambda d: d.__setitem__("colour", "red"), "colour", "unknown key"),
        (lambda d: d["http"].__setitem__("timeot", 3), "http.timeot", "unknown key"),
        (lambda d: d.__setitem__("timezone", "Mars/Olympus"), "timezone", "unknown timezone"),
        (lambda d: d["sources"][0].__setitem__("topics", ["nope"]), "sources[0].topics[0]", "unknown topic"),
        (lambda d: d["topics"][0].pop("keywords"), "topics[0].keywords", "required key is missing"),
        (lambda d: d["http"].__setitem__("max_redirects", -1), "http.max_redirects", "greater than or equal"),
        (lambda d: d.setdefault("schedule", {}).__setitem__("feeds_poll", "99 * * * *"), "schedule.feeds_poll",
         "not a cron expression"),
    ],
)
def test_bad_config_names_the_key(mutate, key: str, problem: str) -> None:
    data = repo_config()
    mutate(data)
    with pytest.raises(ConfigError) as exc:
        parse_config(data)
    assert exc.value.key == key
    assert problem in exc.value.problem
    assert str(exc.value).startswith(f"{key}: ")


def test_duplicate_source_name_names_the_new_entry() -> None:
    data = repo_config()
    n = len(data["sources"])
    data["sources"].append(dict(data["sources"][0]))
    with pytest.raises(ConfigError) as exc:
        parse_config(data)
    assert exc.value.key == f"sources[{n}].name"
    assert "duplicate source name" in exc.value.problem


def test_env_overrides(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("timezone: Asia/Omsk\n", encoding="utf-8")
    cfg = load_config(None, env={"ECITIZEN_CONFIG": str(p), "ECITIZEN_DATABASE_URL": "sqlite:///x.db"})
    assert cfg.database_url == "sqlite:///x.db"
    assert cfg.resolved_database_url() == f"sqlite:///{tmp_path / 'x.db'}"


def test_missing_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    lst = tmp_path / "list.yaml"
    lst.write_text("- 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(lst)


def test_config_objects_are_frozen() -> None:
    cfg = parse_config({})
    with pytest.raises(Exception):
        cfg.timezone = "UTC"  # type: ignore[misc]


def test_the_demo_carries_the_repositorys_topics_and_rules() -> None:
    """``demo-base.yaml`` is the packaged copy the offline demo uses; it must not drift."""
    demo = yaml.safe_load((ROOT / "shell" / "demo_site" / "demo-base.yaml").read_text(encoding="utf-8"))
    data = repo_config()
    assert demo["topics"] == data["topics"]
    assert demo["new_service_rules"] == data["new_service_rules"]
    assert demo["libraries"] == data["libraries"]  # the real facts, not placeholders of another body
