"""Scrapy settings built from the typed config: politeness, limits, identification. Pure.

Must not import: the database. Only this module decides Scrapy settings; ``crawler.run`` applies them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ecitizen.config import Config
from ecitizen.crawler.jobs import SourceJob


def user_agent(config: Config) -> str:
    """The identifying User-Agent, with the contact address appended when it is not already there."""
    ua = config.http.user_agent.strip()
    contact = config.http.contact.strip()
    if contact and contact not in ua:
        ua = f"{ua} (contact: {contact})"
    return ua


def scrapy_settings(config: Config, jobs: Sequence[SourceJob], *, log_level: str = "INFO") -> dict[str, Any]:
    """The Scrapy settings for one crawl run.

    robots.txt: the middleware is on when any source obeys it; sources whose override says not to
    obey carry ``dont_obey_robotstxt`` on their requests (the spider logs each override).
    """
    c = config.crawler
    obey_any = any(j.obey_robots for j in jobs) if jobs else c.robots_obey
    return {
        "BOT_NAME": "ecitizen",
        "USER_AGENT": user_agent(config),
        "ROBOTSTXT_OBEY": obey_any,
        "CONCURRENT_REQUESTS": config.http.global_concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": c.concurrency_per_domain,
        "DOWNLOAD_DELAY": c.download_delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if c.download_delay > 0 else 0.0,
        "AUTOTHROTTLE_ENABLED": c.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(c.download_delay, 1.0),
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(c.concurrency_per_domain),
        "DOWNLOAD_MAXSIZE": c.max_response_bytes,
        "DOWNLOAD_WARNSIZE": max(1, c.max_response_bytes // 2),
        "DOWNLOAD_TIMEOUT": c.timeout,
        "RETRY_ENABLED": c.retry_times > 0,
        "RETRY_TIMES": c.retry_times,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "RETRY_BACKOFF_BASE": c.retry_backoff_seconds,
        "RETRY_BACKOFF_MAX": 60.0,
        "REDIRECT_MAX_TIMES": config.http.max_redirects,
        "COOKIES_ENABLED": True,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,  # no listening ports in a crawl process
        "LOG_INSTALL_ROOT_HANDLER": True,
        "LOG_LEVEL": log_level,
        "LOG_STDOUT": False,
        "HTTPCACHE_ENABLED": False,
        "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",  # the spider keeps its own visited set
        "DOWNLOADER_MIDDLEWARES": {
            "ecitizen.crawler.middlewares.PrivateTargetMiddleware": 50,
            "ecitizen.crawler.middlewares.RetryBackoffMiddleware": 60,
            # concurrent requests to one host must all wait for its robots.txt (see crawler.robots)
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "ecitizen.crawler.robots.SharedRobotsTxtMiddleware": 100,
            "ecitizen.crawler.middlewares.CharsetMiddleware": 950,
        },
        "ITEM_PIPELINES": {},
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "FEED_EXPORT_ENCODING": "utf-8",
        "DNS_TIMEOUT": config.http.connect_timeout,
        # every host resolved once and checked (private targets), the connection made to that address
        _resolver_setting(): "ecitizen.crawler.middlewares.GuardedNameResolver",
        "ECITIZEN_ALLOW_PRIVATE": config.http.allow_private_targets,
    }


def _resolver_setting() -> str:
    """Scrapy ≥ 2.14 names the resolver setting ``TWISTED_DNS_RESOLVER`` (``DNS_RESOLVER`` before)."""
    from scrapy.settings import default_settings

    return "TWISTED_DNS_RESOLVER" if hasattr(default_settings, "TWISTED_DNS_RESOLVER") else "DNS_RESOLVER"
