"""Configuration: read ``config.yaml`` once and validate it into typed, frozen objects.

Owns: the schema of the config file, the environment overrides (``ECITIZEN_CONFIG``,
``ECITIZEN_DATABASE_URL``) and the translation of validation failures into one
:class:`~ecitizen.errors.ConfigError` that names the key (``sources[3].url: not an http(s) URL``).

Must not import: storage, network, or any domain package. Core functions take these objects (or
plain values from them) as arguments and never read files or the environment themselves.
Secrets are never in the file: the file names environment variables (``password_env``), and
:meth:`SmtpConfig.password` / :meth:`WebConfig.secret_key` read them when needed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from ecitizen.classify import TopicRule, words
from ecitizen.errors import ConfigError
from ecitizen.source_settings import CRAWLER_KINDS, parse_source_settings
from ecitizen.validation import problem_of

DEFAULT_CONFIG_PATH = "config.yaml"
ENV_CONFIG = "ECITIZEN_CONFIG"
ENV_DATABASE_URL = "ECITIZEN_DATABASE_URL"

SourceKind = Literal["feed", "listing", "sitemap", "json", "page", "catalog", "telegram"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_http_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("not an http(s) URL")
    return value.strip()


class HttpConfig(_Model):
    """Politeness and safety limits shared by every HTTP client of the project."""

    user_agent: str = "ecitizen-watch/0.1 (+https://example.invalid/ecitizen)"
    contact: str = ""
    connect_timeout: float = Field(10.0, gt=0)
    read_timeout: float = Field(20.0, gt=0)
    #: a response must be complete within this many seconds, however slowly it drips
    total_deadline: float = Field(60.0, gt=0)
    #: cap on a body after decompression
    max_response_bytes: int = Field(5_000_000, gt=0)
    max_redirects: int = Field(10, ge=0, le=30)
    global_concurrency: int = Field(16, ge=1)
    per_host_concurrency: int = Field(2, ge=1)
    #: an extra PEM bundle (e.g. the Russian Trusted Root CA) trusted in addition to certifi's
    extra_ca_bundle: str | None = None
    #: allow private-network targets for user-entered URLs (tests and the demo only)
    allow_private_targets: bool = False


class FeedsConfig(_Model):
    default_interval_minutes: int = Field(60, ge=1)
    min_interval_minutes: int = Field(10, ge=1)
    max_backoff_minutes: int = Field(24 * 60, ge=1)
    #: parse + prepare feeds in this many worker processes (0: one per CPU, at most 4) when a
    #: poll has at least ``process_min_sources`` due sources; 1 or fewer CPUs: in-process
    parse_processes: int = Field(0, ge=0, le=32)
    process_min_sources: int = Field(20, ge=1)


class LinksConfig(_Model):
    global_concurrency: int = Field(32, ge=1)
    per_host_concurrency: int = Field(4, ge=1)
    min_host_interval_seconds: float = Field(0.25, ge=0)
    max_body_bytes: int = Field(512_000, gt=0)
    total_deadline: float = Field(20.0, gt=0)
    retries: int = Field(2, ge=0)
    broken_after_failures: int = Field(2, ge=1)
    check_interval_hours: float = Field(24.0, gt=0)
    #: share of the main text that must change to record a "changed" event
    change_threshold: float = Field(0.05, ge=0, le=1)
    snapshot_warc: bool = False
    #: first retry waits this long, doubling each time (timeouts, connection drops, 429, 5xx)
    retry_backoff_seconds: float = Field(1.0, ge=0)
    #: a 429/503 asking to wait longer than this is not retried in the same run
    max_retry_after_seconds: float = Field(30.0, ge=0)
    #: a link that failed once (not yet confirmed broken) is rechecked after this many hours
    confirm_after_hours: float = Field(6.0, gt=0)


class CrawlerConfig(_Model):
    robots_obey: bool = True
    download_delay: float = Field(1.0, ge=0)
    concurrency_per_domain: int = Field(2, ge=1)
    autothrottle: bool = True
    max_response_bytes: int = Field(3_000_000, gt=0)
    retry_times: int = Field(2, ge=0)
    #: a retried request waits this long, doubled on each further retry (capped at 60 s)
    retry_backoff_seconds: float = Field(2.0, ge=0)
    timeout: float = Field(30.0, gt=0)
    #: a catalogue crawl returning fewer entries than this share of the last good one is a failure
    catalog_min_ratio: float = Field(0.5, ge=0, le=1)


class Library(_Model):
    """One of the programme's libraries. In ``config.yaml`` it seeds the ``library`` table
    (``ecitizen.programme.seed_libraries``); an unknown detail stays empty, never guessed."""

    id: str
    name: str
    address: str = ""
    hours: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    #: the library has a Legal Information Centre (Центр правовой информации, ЦПИ)
    is_cpi: bool = False
    #: takes part in the programme now (indicator 1 counts the active ones)
    active: bool = True

    @field_validator("id")
    @classmethod
    def _library_slug(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", v):
            raise ValueError("must be a lowercase slug (a-z, 0-9, _ and -, at most 64 characters)")
        return v

    @field_validator("name")
    @classmethod
    def _library_name(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty")
        return v.strip()


class Topic(_Model):
    """A course lesson and how news items are recognised as its material (``ecitizen.classify``).

    ``keywords`` count on their own; ``requires_context`` words only with one of ``context`` in
    the same text; the words of an ``exclude`` phrase never count for the topic. Each entry is a
    word or a phrase, matched by stem.
    """

    id: str
    title: str
    keywords: tuple[str, ...]
    requires_context: tuple[str, ...] = ()
    context: tuple[str, ...] = Field(default=(), validate_default=True)
    exclude: tuple[str, ...] = ()

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9_-]+", v):
            raise ValueError("must be a lowercase slug (a-z, 0-9, _ and -)")
        return v

    @field_validator("keywords", "requires_context", "context", "exclude")
    @classmethod
    def _phrases(cls, v: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        seen: set[str] = set()
        for i, phrase in enumerate(v):
            if not words(phrase):
                raise ValueError(f"entry {i} ({phrase!r}) has no letters or digits")
            key = phrase.lower().replace("ё", "е").strip()
            if key in seen:
                raise ValueError(f"entry {i} ({phrase!r}) is listed twice")
            seen.add(key)
        if info.field_name == "requires_context":
            strong = {k.lower().replace("ё", "е").strip() for k in info.data.get("keywords", ())}
            for i, phrase in enumerate(v):
                if phrase.lower().replace("ё", "е").strip() in strong:
                    raise ValueError(f"entry {i} ({phrase!r}) is also in keywords: keep it in one list")
        if info.field_name == "context":
            if info.data.get("requires_context") and not v:
                raise ValueError("required when requires_context is set: the words that confirm them")
            if v and not info.data.get("requires_context"):
                raise ValueError("has no effect without requires_context")
        return v

    def rule(self) -> TopicRule:
        """The classifier's rule for this topic (every field, not only the keywords)."""
        return TopicRule(self.id, self.keywords, self.requires_context, self.context, self.exclude)


class NewServiceRule(_Model):
    """A phrase rule: fires when every word of one of ``phrases`` appears in order (by stem)."""

    id: str
    phrases: tuple[str, ...]
    description: str = ""


class SourceConfig(_Model):
    name: str
    kind: SourceKind = "feed"
    url: str
    topics: tuple[str, ...] = ()
    interval_minutes: int | None = Field(None, ge=1)
    enabled: bool = True
    timezone: str | None = None
    #: kind-specific settings (selectors, field mapping, path prefixes, ...), validated by the
    #: domain package that owns the kind
    settings: dict[str, Any] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return _check_http_url(v)


class SmtpConfig(_Model):
    host: str = "localhost"
    port: int = 25
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username_env: str = "ECITIZEN_SMTP_USER"
    password_env: str = "ECITIZEN_SMTP_PASSWORD"  # noqa: S105 - a variable name, not a secret
    sender: str = "ecitizen@localhost"
    recipients: tuple[str, ...] = ()
    timeout: float = 30.0

    def username(self) -> str | None:
        return os.environ.get(self.username_env) or None

    def password(self) -> str | None:
        return os.environ.get(self.password_env) or None


class OutputsConfig(_Model):
    out_dir: str = "data/out"
    #: a folder whose templates override the built-in ones (rendered in Jinja2's sandbox)
    templates_dir: str | None = None
    public_base_url: str = "http://127.0.0.1:8080"
    programme_name: str = "Компетентный е-гражданин"
    organisation: str = "БУК г. Омска «Омские муниципальные библиотеки»"
    feed_title: str = "Электронный гражданин: новости и новые онлайн-услуги"
    poster_max_items: int = Field(8, ge=1)
    #: the info-zone poster's paper: A4 (portrait, up to 4 items a sheet) or A3 (landscape, up to 8)
    poster_size: Literal["A4", "A3"] = "A4"
    media_contact: str = ""

    @field_validator("poster_size", mode="before")
    @classmethod
    def _poster_size(cls, v: Any) -> Any:
        return v.strip().upper() if isinstance(v, str) else v


class SurveyOption(_Model):
    id: str
    text: str

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9_-]+", v):
            raise ValueError("must be a lowercase slug (a-z, 0-9, _ and -)")
        return v


class SurveyQuestion(_Model):
    id: str
    text: str
    #: several answers may be ticked (the counts then add up to more than the forms)
    multiple: bool = False
    options: tuple[SurveyOption, ...] = Field(min_length=2)

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9_-]+", v):
            raise ValueError("must be a lowercase slug (a-z, 0-9, _ and -)")
        if v == "forms":
            raise ValueError("'forms' is reserved for the number of filled-in forms")
        return v

    @model_validator(mode="after")
    def _unique_options(self) -> SurveyQuestion:
        ids = [o.id for o in self.options]
        for i, oid in enumerate(ids):
            if oid in ids[:i]:
                raise ValueError(f"duplicate option id {oid!r} (options[{i}])")
        return self


def _q(qid: str, text: str, options: tuple[tuple[str, str], ...], multiple: bool = False) -> SurveyQuestion:
    return SurveyQuestion(id=qid, text=text, multiple=multiple,
                          options=tuple(SurveyOption(id=o, text=t) for o, t in options))


_YES_PARTLY_NO = (("yes", "Да"), ("partly", "Отчасти"), ("no", "Нет"))
#: the questionnaire of plan item 4 (how useful the course's skills were); ``survey.questions`` replaces it
DEFAULT_SURVEY_QUESTIONS: tuple[SurveyQuestion, ...] = (
    _q("useful", "Пригодились ли вам знания, полученные на занятиях?",
       (("often", "Да, пользуюсь ими постоянно"), ("sometimes", "Да, иногда"), ("not-yet", "Пока нет"))),
    _q("services", "Чем вы уже пользовались сами после занятий? Можно отметить несколько ответов.",
       (("gosuslugi", "Портал Госуслуг"), ("doctor", "Запись к врачу через интернет"),
        ("payments", "Оплата услуг и налогов через интернет"), ("pensions", "Сведения о пенсии и пособиях"),
        ("transport", "Маршруты и расписание транспорта"), ("none", "Пока ничем")), multiple=True),
    _q("easier", "Стало ли вам проще решать житейские вопросы через интернет?", _YES_PARTLY_NO),
    _q("safer", "Стали ли вы увереннее и осторожнее в интернете (мошенники, пароли)?", _YES_PARTLY_NO),
    _q("recommend", "Посоветуете ли вы эти занятия родным и знакомым?", (("yes", "Да"), ("no", "Нет"))),
)


class SurveyConfig(_Model):
    """The printable questionnaire for course participants (plan item 4); answers are entered as counts."""

    title: str = "Анкета участника занятий «Электронный гражданин»"
    intro: str = ("Ответьте, пожалуйста, на несколько вопросов. Отметьте нужный ответ галочкой. "
                  "Анкета анонимная: имя писать не нужно.")
    questions: tuple[SurveyQuestion, ...] = DEFAULT_SURVEY_QUESTIONS
    #: a free-text prompt at the end of the form (read by the library, not counted)
    comment_prompt: str = "Ваши пожелания: о чём ещё рассказать на занятиях?"

    @model_validator(mode="after")
    def _unique_questions(self) -> SurveyConfig:
        ids = [q.id for q in self.questions]
        for i, qid in enumerate(ids):
            if qid in ids[:i]:
                raise ValueError(f"duplicate question id {qid!r} (questions[{i}])")
        return self


class WebConfig(_Model):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    secret_key_env: str = "ECITIZEN_SECRET_KEY"  # noqa: S105 - a variable name, not a secret
    secure_cookies: bool = False
    threads: int = Field(8, ge=1)
    #: the address people open the web interface at (``https://ecitizen.example.org``); the weekly
    #: digest links to the review queue with it. Unset: the digest says where to go in words.
    base_url: str | None = None

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        return _check_http_url(v.strip()).rstrip("/")

    def secret_key(self) -> str | None:
        return os.environ.get(self.secret_key_env) or None


class ScheduleConfig(_Model):
    """Cron expressions (``minute hour day month day_of_week``) in the configured timezone."""

    feeds_poll: str = "*/10 * * * *"
    crawl: str = "0 */3 * * *"
    links_check: str = "30 2 * * *"
    weekly_digest: str = "0 8 * * mon"
    monthly_outputs: str = "0 7 1 * *"
    publish: str = "*/15 * * * *"

    @field_validator("*")
    @classmethod
    def _cron(cls, value: str) -> str:
        """A bad cron string stops the config (``init`` too), not only ``run``; ``off``/``-``/empty: not scheduled."""
        from apscheduler.triggers.cron import CronTrigger

        if value and value.strip() not in ("-", "off"):
            try:
                CronTrigger.from_crontab(value, timezone="UTC")
            except ValueError as exc:
                raise ValueError(f"not a cron expression ({exc})") from None
        return value


class Config(_Model):
    database_url: str = "sqlite:///data/ecitizen.db"
    timezone: str = "Asia/Omsk"
    data_dir: str = "data"
    http: HttpConfig = HttpConfig()
    feeds: FeedsConfig = FeedsConfig()
    links: LinksConfig = LinksConfig()
    crawler: CrawlerConfig = CrawlerConfig()
    libraries: tuple[Library, ...] = ()
    topics: tuple[Topic, ...] = ()
    new_service_rules: tuple[NewServiceRule, ...] = ()
    sources: tuple[SourceConfig, ...] = ()
    smtp: SmtpConfig = SmtpConfig()
    outputs: OutputsConfig = OutputsConfig()
    web: WebConfig = WebConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    survey: SurveyConfig = SurveyConfig()
    #: where relative paths in this config are resolved from (set by the loader, not the file)
    base_dir: str = "."

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {v!r}") from None
        return v

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        topic_ids = [t.id for t in self.topics]
        for i, tid in enumerate(topic_ids):
            if tid in topic_ids[:i]:
                raise _KeyedError(f"topics[{i}].id", f"duplicate topic id {tid!r}")
        names: set[str] = set()
        for i, src in enumerate(self.sources):
            if src.name in names:
                raise _KeyedError(f"sources[{i}].name", f"duplicate source name {src.name!r}")
            names.add(src.name)
            for j, tid in enumerate(src.topics):
                if tid not in topic_ids:
                    raise _KeyedError(f"sources[{i}].topics[{j}]", f"unknown topic {tid!r}")
            if src.kind in CRAWLER_KINDS:  # crawler kinds: typed settings (ecitizen/source_settings.py)
                try:
                    parse_source_settings(src.kind, src.settings)
                except ConfigError as exc:
                    raise _KeyedError(f"sources[{i}].{exc.key}", exc.problem) from None
        lib_ids: set[str] = set()
        for i, lib in enumerate(self.libraries):
            if lib.id in lib_ids:
                raise _KeyedError(f"libraries[{i}].id", f"duplicate library id {lib.id!r}")
            lib_ids.add(lib.id)
        return self

    # -- helpers -----------------------------------------------------------------------------
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def path(self, relative: str) -> Path:
        """Resolve a path from the config against the config file's folder."""
        p = Path(relative)
        return p if p.is_absolute() else Path(self.base_dir) / p

    @property
    def data_path(self) -> Path:
        return self.path(self.data_dir)

    def topic(self, topic_id: str) -> Topic:
        for t in self.topics:
            if t.id == topic_id:
                return t
        raise KeyError(topic_id)

    def library(self, library_id_or_name: str) -> Library:
        for lib in self.libraries:
            if library_id_or_name in (lib.id, lib.name):
                return lib
        raise KeyError(library_id_or_name)

    def resolved_database_url(self) -> str:
        """The database URL with a relative SQLite path resolved against ``base_dir``."""
        url = self.database_url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith("sqlite:////"):
            rest = url[len(prefix):]
            if rest and rest != ":memory:":
                return prefix + str(self.path(rest).resolve())
        return url


class _KeyedError(ValueError):
    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(problem)


def _format_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _translate(exc: ValidationError) -> ConfigError:
    err = exc.errors()[0]
    ctx_err = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_err, _KeyedError):
        return ConfigError(ctx_err.key, ctx_err.problem)
    key = _format_loc(tuple(err["loc"]))
    msg = problem_of(err)
    more = len(exc.errors()) - 1
    if more:
        msg += f" (and {more} more problem{'s' if more > 1 else ''})"
    return ConfigError(key, msg)


def parse_config(data: Any, *, base_dir: str = ".") -> Config:
    """Validate already-loaded data (a mapping) into a :class:`Config`."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("", "the config file must be a mapping of keys to values")
    if "base_dir" in data:
        raise ConfigError("base_dir", "unknown key")
    try:
        return Config.model_validate({**data, "base_dir": base_dir})
    except ValidationError as exc:
        raise _translate(exc) from None


def load_config(path: str | os.PathLike[str] | None = None, *, env: dict[str, str] | None = None) -> Config:
    """Read and validate the config file.

    ``path`` wins over ``$ECITIZEN_CONFIG``, which wins over ``./config.yaml``.
    ``$ECITIZEN_DATABASE_URL`` overrides ``database_url``.
    """
    environ = os.environ if env is None else env
    chosen = Path(path or environ.get(ENV_CONFIG) or DEFAULT_CONFIG_PATH)
    try:
        text = chosen.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("", f"config file not found: {chosen}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("", f"cannot read config file {chosen}: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError("", f"{chosen} is not valid YAML: {exc}") from None
    if isinstance(data, dict) and environ.get(ENV_DATABASE_URL):
        data = {**data, "database_url": environ[ENV_DATABASE_URL]}
    return parse_config(data, base_dir=str(chosen.resolve().parent))
