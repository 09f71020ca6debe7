"""The survey of course participants: a one-page questionnaire from the config, answers as counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ecitizen.app import App
from ecitizen.config import parse_config
from ecitizen.db import session_scope
from ecitizen.errors import ConfigError
from ecitizen.programme import (
    RefusedError,
    enter_survey,
    figure_history,
    import_survey,
    parse_survey_args,
    survey_results,
    write_survey_form,
)
from ecitizen.shell.cli import main
from tests.conftest import base_config_data
from tests.programme.conftest import LIBRARIES, MANAGER, pdf_pages, pdf_size, squash


def test_the_form_is_one_a4_page_with_every_question(papp: App, tmp_path: Path) -> None:
    html, pdf = write_survey_form(papp.config, out_dir=tmp_path)
    pages = pdf_pages(pdf)
    assert len(pages) == 1 and pdf_size(pdf) == (595, 842)
    text = squash(pages[0])
    for i, q in enumerate(papp.config.survey.questions, start=1):
        assert f"{i}. {q.text}" in text
        for o in q.options:
            assert o.text in text
    assert "Библиотека:" in text and "Спасибо за ответы!" in text
    assert "<script" not in html.read_text(encoding="utf-8")


def test_questions_come_from_the_config(tmp_path: Path) -> None:
    data = base_config_data(tmp_path)
    data["survey"] = {"title": "Короткая анкета", "questions": [
        {"id": "q1", "text": "Вам понравилось?", "options": [{"id": "y", "text": "Очень"}, {"id": "n", "text": "Нет"}]}]}
    cfg = parse_config(data, base_dir=str(tmp_path))
    _html, pdf = write_survey_form(cfg, out_dir=tmp_path)
    text = squash(pdf_pages(pdf)[0])
    assert "Короткая анкета" in text and "1. Вам понравилось?" in text and "Пригодились" not in text
    data["survey"]["questions"][0]["options"][1]["id"] = "y"
    with pytest.raises(ConfigError, match=r"survey\.questions\[0\]: duplicate option id 'y'"):
        parse_config(data, base_dir=str(tmp_path))


def test_enter_counts_with_ids_or_the_forms_numbers(papp: App) -> None:
    survey = papp.config.survey
    with session_scope(papp.engine) as s:
        answers = parse_survey_args(["forms=20", "useful=often:12", "1=2:6", "useful=not-yet:2", "5=1:19"])
        saved = enter_survey(s, survey, library_id="cgb", month="2026-10", answers=answers, actor=MANAGER,
                             now=papp.now(), tz=papp.config.tz)
        assert not saved.warnings
        enter_survey(s, survey, library_id="lib-a", month="2026-09", answers={"forms": "5", "useful:often": "6"},
                     actor=MANAGER, now=papp.now(), tz=papp.config.tz)
        res = survey_results(s, survey, year=2026)
        assert res.forms == 25 and res.libraries == 2
        useful = {o.id: o.count for o in res.questions[0].options}
        assert useful == {"often": 18, "sometimes": 6, "not-yet": 2}
        assert {o.id: o.count for o in res.questions[4].options} == {"yes": 19, "no": 0}
        warned = enter_survey(s, survey, library_id="lib-a", month="2026-09", answers={"useful:sometimes": 1},
                              actor=MANAGER, now=papp.now(), tz=papp.config.tz)
        assert warned.warnings and "больше, чем анкет" in warned.warnings[0]
        assert figure_history(s, library_id="cgb")[0].label.startswith("анкета: ")


@pytest.mark.parametrize(("args", "reason"), [
    (["useful=maybe:3"], "нет ответа «maybe»"),
    (["mood=good:3"], "нет вопроса «mood»"),
    (["useful=often:-3"], "меньше нуля"),
    (["useful=often:3.5"], "целое число"),
])
def test_bad_answers_are_refused(papp: App, args: list[str], reason: str) -> None:
    with session_scope(papp.engine) as s, pytest.raises(RefusedError, match=reason):
        enter_survey(s, papp.config.survey, library_id="cgb", month="2026-10", answers=parse_survey_args(args),
                     actor=MANAGER, now=papp.now(), tz=papp.config.tz)
    with pytest.raises(RefusedError, match="ВОПРОС=ОТВЕТ:ЧИСЛО"):
        parse_survey_args(["useful:often=3"])
    with session_scope(papp.engine) as s, pytest.raises(RefusedError, match="ещё не наступил"):
        enter_survey(s, papp.config.survey, library_id="cgb", month="2027-01", answers={"forms": 1},
                     actor=MANAGER, now=papp.now(), tz=papp.config.tz)


def test_csv_import_of_answers(papp: App) -> None:
    text = ("Библиотека;Месяц;Вопрос;Ответ;Количество\n"
            "cgb;2026-10;анкет;;10\n"
            "cgb;2026-10;useful;often;7\n"
            "cgb;2026-10;useful;2;3\n"
            "cgb;2026-10;useful;often;8\n"     # the same answer again
            "cgb;2026-10;useful;maybe;1\n"     # unknown answer
            "lib-b;2026-13;useful;often;1\n")  # bad month
    with session_scope(papp.engine) as s:
        result = import_survey(s, papp.config.survey, text, actor=MANAGER, now=papp.now(), tz=papp.config.tz)
        assert len(result.saved) == 3
        reasons = {x.line: x.reason for x in result.skipped}
        assert sorted(reasons) == [5, 6, 7]
        assert "уже был в строке 3" in reasons[5] and "нет ответа «maybe»" in reasons[6] and "12 месяцев" in reasons[7]
        res = survey_results(s, papp.config.survey, year=2026, library_id="cgb")
    assert res.forms == 10 and {o.id: o.count for o in res.questions[0].options}["sometimes"] == 3


def test_cli_survey_form_enter_results(tmp_path: Path) -> None:
    data = base_config_data(tmp_path)
    data["libraries"] = LIBRARIES
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    run = CliRunner()
    assert run.invoke(main, ["libraries", "set", "cgb", "name=ЦГБ", "--config", str(cfg)]).exit_code == 0
    r = run.invoke(main, ["survey", "form", "--json", "--config", str(cfg)])
    assert r.exit_code == 0, r.output
    assert [Path(p).name for p in json.loads(r.output)] == ["survey-form.html", "survey-form.pdf"]
    r = run.invoke(main, ["survey", "enter", "--library", "cgb", "--month", "2026-10", "forms=4", "useful=often:4",
                          "--config", str(cfg)])
    assert r.exit_code == 0, r.output
    r = run.invoke(main, ["survey", "enter", "--library", "cgb", "--month", "2026-10", "useful=often", "--config",
                          str(cfg)])
    assert r.exit_code == 2 and "ВОПРОС=ОТВЕТ:ЧИСЛО" in r.output
    r = run.invoke(main, ["survey", "results", "--year", "2026", "--json", "--config", str(cfg)])
    res = json.loads(r.output)
    assert res["forms"] == 4 and res["questions"][0]["options"][0] == {"id": "often", "text": "Да, пользуюсь ими постоянно",
                                                                        "count": 4}
