"""Typed ``settings`` of the crawler source kinds (listing, sitemap, json, page, catalog, telegram).

Owns: the vocabulary of source kinds (:data:`SOURCE_KINDS`, their Russian :data:`KIND_LABELS`),
the schema of ``sources[i].settings`` for every crawler kind and the one pure function
:func:`parse_source_settings` that validates a settings mapping into a frozen model, raising
:class:`~ecitizen.errors.ConfigError` with the offending key (``settings.item: required key is
missing``). ``ecitizen.config`` calls it while validating the file (so a bad selector map stops
``load_config`` with ``sources[4].settings.item: ...``); the crawler calls it again for sources
added at run time (web, CLI). Lives in the core because the core must not import ``crawler``.

Must not import: storage, network, Scrapy, or any domain package.

Selector strings: CSS by default, with parsel's ``::text`` and ``::attr(name)``; a selector that
starts with ``xpath:`` (or ``/``, ``./``, ``(``) is XPath. A field selector without ``::text`` /
``::attr`` means "the element's whole text" (or its ``href`` for links).

Every field carries its Russian name (``title``), a plain-Russian help (``description``) and an
example (``examples``): the web form's fields are generated from them; the choices of a Literal
field are named in ``json_schema_extra["choices"]``. Metadata only: validation is unchanged.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from ecitizen.errors import ConfigError
from ecitizen.validation import problem_of

CRAWLER_KINDS = ("listing", "sitemap", "json", "page", "catalog", "telegram")
#: every kind of source: the feed reader's ``feed`` and the crawler's kinds (``config.SourceKind``
#: spells the same list as a Literal for the config schema; a test keeps the two equal)
SOURCE_KINDS: tuple[str, ...] = ("feed", *CRAWLER_KINDS)
#: Russian names of the kinds, for the web form, the source list and messages
KIND_LABELS: dict[str, str] = {
    "feed": "лента",
    "listing": "список новостей",
    "sitemap": "карта сайта",
    "json": "JSON",
    "page": "страница",
    "catalog": "каталог услуг",
    "telegram": "Telegram",
}


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: per-source override of ``crawler.robots_obey`` (logged when it differs)
    robots_obey: bool | None = Field(
        None, title="Соблюдать правила сайта для программ (robots.txt)",
        description="Обычно — как в общих настройках. Отключайте, только если сайт разрешил обход.")
    #: stop after this many list pages (next-page links or page template)
    max_pages: int = Field(
        1, ge=1, le=2000, title="Сколько страниц списка читать",
        description="1 — только первая страница. Для большего числа заполните «следующую страницу» "
                    "или «страницы по номеру».")


def _nonempty(v: str) -> str:
    if not v or not v.strip():
        raise ValueError("must not be empty")
    return v.strip()


class Pages(BaseModel):
    """Numbered pages fetched side by side: ``template`` holds ``{n}`` (``?page={n}``).

    The source URL is the first page; ``start`` is the number of the second one, so pages
    ``start … start + max_pages - 2`` are fetched after it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    template: str = Field(title="Адрес страницы с номером",
                          description="{n} — место номера страницы, например ?page={n}.", examples=["?page={n}"])
    start: int = Field(2, ge=0, title="Номер второй страницы", description="Обычно 2.")

    @field_validator("template")
    @classmethod
    def _has_n(cls, v: str) -> str:
        if "{n}" not in v:
            raise ValueError("must contain {n}")
        return v


class ListingSettings(_Settings):
    """A news list page: one ``item`` element per entry, fields relative to it."""

    item: str = Field(title="Одна новость в списке",
                      description="Элемент, в котором одна новость целиком.", examples=["article.news-item"])
    title: str = Field(title="Заголовок новости", description="Внутри новости: где её заголовок.",
                       examples=["h3"])
    link: str = Field("a::attr(href)", title="Ссылка на новость",
                      description="Внутри новости: её адрес. Обычно подходит первая ссылка: a::attr(href).")
    #: tried in order; the first value that parses as a date wins
    date: tuple[str, ...] = Field(
        (), title="Дата новости",
        description="По одному селектору на строке; берётся первый, который читается как дата.",
        examples=["time::attr(datetime)\n.news-date"])
    summary: str | None = Field(None, title="Краткий текст", description="Внутри новости: анонс (необязательно).")
    next_page: str | None = Field(None, title="Ссылка «следующая страница»",
                                  description="На странице списка: ссылка «дальше».", examples=["a.next::attr(href)"])
    pages: Pages | None = Field(None, title="Страницы списка по номеру",
                                description="Если у страниц адреса с номером: ?page=2, ?page=3…")
    #: fetch each item's own page and take ``content`` from it as the full text
    fetch_item_page: bool = Field(False, title="Открывать страницу каждой новости",
                                  description="Брать полный текст со страницы новости (поле «Полный текст»).")
    content: str | None = Field(None, title="Полный текст (на странице новости)",
                                description="Где на странице самой новости её текст.", examples=["div.article-text"])
    #: follow one ``location.replace(...)`` / meta-refresh redirect of the list page (omskportal)
    follow_js_redirect: bool = Field(True, title="Идти по перенаправлению",
                                     description="Если страница сразу отправляет на другую (как omskportal.ru).")

    @field_validator("item", "title", "link")
    @classmethod
    def _required_text(cls, v: str) -> str:
        return _nonempty(v)

    @field_validator("date", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return (v,) if isinstance(v, str) else v


class SitemapSettings(_Settings):
    """A sitemap or sitemap index; unseen URLs under ``prefixes`` become items."""

    prefixes: tuple[str, ...] = Field(
        ("/",), title="Разделы сайта", description="Начала адресов, по одному на строке; / — весь сайт.",
        examples=["/landing/\n/help/faq/"])
    #: fetch each new page for its title (``<h1>``, og:title or ``<title>``)
    fetch_titles: bool = Field(True, title="Открывать новые страницы за заголовком",
                               description="Иначе вместо заголовка будет адрес страницы.")
    #: "service" marks new URLs as new online services; "news" leaves it to the classifier
    item_kind: Literal["service", "news"] = Field(
        "service", title="Новые адреса — это",
        json_schema_extra={"choices": {"service": "новые услуги", "news": "новости (решит классификатор)"}})
    #: more new URLs than this at once (a restructured site) are recorded silently as baseline
    max_new_items: int = Field(50, ge=1, title="Больше стольких новых адресов сразу — не новости",
                               description="Так бывает, когда сайт перестроили; такие адреса запоминаются молча.")
    max_depth: int = Field(3, ge=1, le=5, title="Глубина вложенных карт сайта")


class JsonFields(BaseModel):
    """Dotted paths inside one record (``a.b.0.c``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str = Field(title="Заголовок", description="Путь к заголовку в записи.", examples=["title"])
    link: str | None = Field(None, title="Ссылка", description="Путь к адресу записи (или «Шаблон ссылки» ниже).")
    date: str | None = Field(None, title="Дата", description="Путь к дате.", examples=["pubDate"])
    summary: str | None = Field(None, title="Краткий текст", description="Путь к анонсу.")
    id: str | None = Field(None, title="Код записи", description="Путь к постоянному коду записи.",
                           examples=["code"])


#: a ``{name}`` of ``link_template``: a field the mapping maps (``{id}``: the value at ``fields.id``)
#: or a dotted path inside the record (``{code}``, ``{a.b}``)
LINK_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")


class JsonSettings(_Settings):
    """A JSON API (or a page's embedded ``__NEXT_DATA__``) with a field mapping."""

    #: dotted path to the list of records ("" = the document itself is the list)
    items_path: str = Field("", title="Путь к списку записей",
                            description="Через точку, например data.items; пусто — весь ответ и есть список.",
                            examples=["items"])
    fields: JsonFields = Field(title="Поля записи", description="Пути внутри одной записи, через точку.")
    #: a link built from each record: ``https://www.mos.ru/authority/documents/doc/{id}/`` — see
    #: :data:`LINK_PLACEHOLDER`; a record without a value for a placeholder is rejected
    link_template: str | None = Field(
        None, title="Шаблон ссылки",
        description="Адрес с {полем записи} в фигурных скобках; {id} — поле «Код записи».",
        examples=["https://www.gosuslugi.ru/news/{code}"])
    #: read the JSON from an element of an HTML page (``script#__NEXT_DATA__::text``)
    embedded: str | None = Field(None, title="JSON внутри страницы",
                                 description="Если данные лежат в элементе HTML-страницы.",
                                 examples=["script#__NEXT_DATA__::text"])
    #: query parameter carrying the page number (paging stops at an empty page or max_pages)
    page_param: str | None = Field(None, title="Параметр номера страницы", examples=["page"])
    start_page: int = Field(1, ge=0, title="Номер первой страницы")
    #: date window parameters (gosuslugi cms/v1: startDate/endDate as DD.MM.YYYY)
    start_date_param: str | None = Field(None, title="Параметр начала периода", examples=["startDate"])
    end_date_param: str | None = Field(None, title="Параметр конца периода", examples=["endDate"])
    date_param_format: str = Field("%d.%m.%Y", title="Формат дат периода",
                                   description="%d.%m.%Y — ДД.ММ.ГГГГ; %Y-%m-%d — ГГГГ-ММ-ДД.")
    window_days: int = Field(30, ge=1, le=366, title="Период, дней", description="За сколько последних дней.")

    @field_validator("link_template")
    @classmethod
    def _placeholders(cls, v: str | None, info: ValidationInfo) -> str | None:
        """Every placeholder can resolve: well-formed, at least one, and a field name only when mapped
        (an unmapped ``{id}`` would be read as the record's ``id`` key — the usual mistake)."""
        if v is None:
            return None
        stray = LINK_PLACEHOLDER.sub("", v)
        if "{" in stray or "}" in stray:
            raise ValueError(f"bad placeholder in {v!r}: write {{field}} or {{path.in.record}}")
        names = LINK_PLACEHOLDER.findall(v)
        if not names:
            raise ValueError(f"{v!r} has no {{placeholder}}: every record would get the same link")
        fields = info.data.get("fields")
        if isinstance(fields, JsonFields):
            for name in names:
                if name in JsonFields.model_fields and getattr(fields, name) is None:
                    raise ValueError(f"placeholder {{{name}}} names the field {name!r}, which fields does not "
                                     f"map: add fields.{name} (its path in the record)")
        return v


class PageSettings(_Settings):
    """One region of one page watched for changes."""

    region: str = Field("body", title="Часть страницы, за которой следить",
                        description="Например main или div.content; body — вся страница.")
    #: elements removed from the region before comparing (counters, clocks, tokens, banners)
    ignore: tuple[str, ...] = Field((), title="Не учитывать элементы",
                                    description="Счётчики, часы, баннеры: по одному селектору на строке.",
                                    examples=[".counter\n.banner"])
    #: regular expressions removed from the region's text before comparing
    ignore_patterns: tuple[str, ...] = Field(
        (), title="Не учитывать текст", description="Регулярные выражения, по одному на строке.",
        examples=[r"Обновлено: \d{2}\.\d{2}\.\d{4}"])
    title: str | None = Field(None, title="Название страницы",
                              description="Где на странице её название; по умолчанию — заголовок страницы.")

    @field_validator("ignore_patterns")
    @classmethod
    def _regexes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        import re

        for p in v:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"bad regular expression {p!r}: {exc}") from None
        return v


class CatalogSettings(_Settings):
    """A service catalogue: entries with an id, a title, a link and optionally a category."""

    entry: str = Field(title="Одна услуга в каталоге", description="Элемент, в котором одна услуга.",
                       examples=["li.service"])
    title: str = Field(title="Название услуги", description="Внутри услуги: её название.", examples=["a"])
    link: str = Field("a::attr(href)", title="Ссылка на услугу", description="Внутри услуги: её адрес.")
    #: selector for the id; by default the entry's link (canonical) is its id
    id: str | None = Field(None, title="Код услуги",
                           description="Если у услуги есть постоянный номер; по умолчанию код — её адрес.")
    category: str | None = Field(None, title="Раздел каталога", description="Внутри услуги: раздел (необязательно).")
    next_page: str | None = Field(None, title="Ссылка «следующая страница»", examples=["a.next::attr(href)"])
    pages: Pages | None = Field(None, title="Страницы каталога по номеру")

    @field_validator("entry", "title")
    @classmethod
    def _required_text(cls, v: str) -> str:
        return _nonempty(v)


class TelegramSettings(_Settings):
    """The public web preview of a channel (``https://t.me/s/<channel>``)."""

    #: title = the post's first line, cut to this length
    title_length: int = Field(140, ge=20, le=500, title="Длина заголовка, знаков",
                              description="Заголовок — первая строка публикации, обрезанная до этой длины.")


KIND_MODELS: dict[str, type[_Settings]] = {
    "listing": ListingSettings,
    "sitemap": SitemapSettings,
    "json": JsonSettings,
    "page": PageSettings,
    "catalog": CatalogSettings,
    "telegram": TelegramSettings,
}

AnySettings = ListingSettings | SitemapSettings | JsonSettings | PageSettings | CatalogSettings | TelegramSettings


def _loc(loc: tuple[int | str, ...]) -> str:
    out = "settings"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def parse_source_settings(kind: str, settings: dict[str, Any] | None) -> AnySettings:
    """Validate ``settings`` of a crawler ``kind``. Raises ConfigError naming ``settings.<key>``."""
    model = KIND_MODELS.get(kind)
    if model is None:
        raise ConfigError("kind", f"not a crawler source kind: {kind!r}")
    try:
        return model.model_validate(settings or {})  # type: ignore[return-value]
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(_loc(tuple(err["loc"])), problem_of(err)) from None
