"""robots.txt: Scrapy's middleware, with every request to a host waiting for the same robots.txt.

Scrapy ≥ 2.13 (``RobotsTxtMiddleware.robot_parser``) lets each request that arrives while a
host's robots.txt is still downloading ``await`` the one shared ``Deferred``; Twisted hands its
result to the first waiter only and the others get ``None`` — "no robots.txt, allow everything".
So when several sources share a host, all but one start request skipped robots.txt and a
disallowed page was fetched. Here each waiter gets its own ``Deferred`` fed from the shared one.

Must not import: the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from scrapy.http import Request
    from scrapy.robotstxt import RobotParser


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """``RobotsTxtMiddleware`` whose concurrent requests to one host all get the parsed robots.txt."""

    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):  # unknown host (starts the download) or already parsed
            return await super().robot_parser(request)
        waiter: Deferred[RobotParser | None] = Deferred()

        def relay(parser: RobotParser | None) -> RobotParser | None:
            waiter.callback(parser)
            return parser  # keep the result for the next waiter

        pending.addCallback(relay)  # the download's errors fire it with None, never an errback
        return await maybe_deferred_to_future(waiter)
