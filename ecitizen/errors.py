"""The one error hierarchy of e-citizen watch.

::

    EcitizenError                      catch-all for errors raised by this project
    ├── ConfigError (ValueError)       bad config file or value; ``.key`` names the key
    ├── StorageError                   the database cannot be opened/migrated/written
    ├── NotFoundError (LookupError)    a named source / item / link / user does not exist
    ├── UnsafeURLError (ValueError)    a user-entered URL is not http(s) or targets a private network
    ├── SourceError                    one source failed; recorded on the source, never raised through a run
    │   ├── FetchError                 the network part failed
    │   │   ├── HTTPStatusError        the server answered an error status (``.status``)
    │   │   ├── TimeoutError_          connect/read timeout or the total deadline passed
    │   │   ├── ResponseTooLargeError  the body (after decompression) exceeded the cap
    │   │   ├── TooManyRedirectsError  redirect loop or more redirects than allowed
    │   │   ├── TLSError               certificate not trusted / expired / wrong host
    │   │   ├── DNSError               the host name does not resolve
    │   │   ├── ConnectError           refused / reset / unreachable
    │   │   └── UnsafeTargetError      (also UnsafeURLError) a request or a redirect hop would reach a
    │   │                              private-network address (ecitizen.netguard decides)
    │   ├── ParseError                 the body is not a feed / page we can read
    │   └── SelectorError              a crawler selector matched nothing (the site was redesigned)
    ├── TemplateError                  a (library-overridden) template is broken; names template and line
    ├── DeliveryError                  mail could not be sent
    └── AuthError                      login / permission problems in the web interface

Adapters translate library exceptions into these in one place (``raise FetchError(...) from e``).
A :class:`SourceError`'s ``code`` is one of :mod:`ecitizen.outcomes` (the words for people live there).
"""

from __future__ import annotations

from ecitizen import outcomes


class EcitizenError(Exception):
    """Base class of every error this project raises on purpose."""


class ConfigError(EcitizenError, ValueError):
    """The configuration is invalid. ``key`` is a dotted path such as ``sources[3].url``."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"{key}: {problem}" if key else problem)


class StorageError(EcitizenError):
    """The database could not be opened, migrated or written."""


class NotFoundError(EcitizenError, LookupError):
    """A named object does not exist."""


class UnsafeURLError(EcitizenError, ValueError):
    """A user-entered URL is refused (not http(s), or a private-network target)."""


class SourceError(EcitizenError):
    """One source failed. Recorded on the source's health record; never stops a run."""

    #: short machine-readable code (one of :mod:`ecitizen.outcomes`), stored as the source's ``last_outcome``
    code: str = outcomes.ERROR


class FetchError(SourceError):
    code = outcomes.FETCH_ERROR

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None) -> None:
        self.url = url
        self.status = status
        super().__init__(message)


class HTTPStatusError(FetchError):
    code = outcomes.HTTP_ERROR


class TimeoutError_(FetchError):  # noqa: N801, N818 - the trailing _ avoids shadowing the builtin
    code = outcomes.TIMEOUT


class ResponseTooLargeError(FetchError):
    code = outcomes.TOO_LARGE


class TooManyRedirectsError(FetchError):
    code = outcomes.REDIRECTS


class TLSError(FetchError):
    code = outcomes.TLS_ERROR


class DNSError(FetchError):
    code = outcomes.DNS_ERROR


class ConnectError(FetchError):
    code = outcomes.CONNECTION_ERROR



class UnsafeTargetError(FetchError, UnsafeURLError):
    """A request (or one of its redirect hops) would connect to a private-network address."""

    code = outcomes.UNSAFE_TARGET

class ParseError(SourceError):
    code = outcomes.PARSE_ERROR


class SelectorError(SourceError):
    code = outcomes.SELECTOR_ERROR


class TemplateError(EcitizenError):
    """A template failed to load or render. The message names the template and the line."""


class DeliveryError(EcitizenError):
    """Mail could not be delivered."""


class AuthError(EcitizenError):
    """Authentication or authorisation failed."""
