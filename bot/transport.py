"""PTB's requests to the Bot API, sent with aiohttp instead of httpx.

Every request through httpx's pool checks each pooled connection (two system calls per
connection) and, without sniffio, searches the disk for a module: measured with the
benchmark, that transport was two thirds of the bot's CPU time. aiohttp (already a
dependency) does the same work in C for the most part. PTB supports other transports
through `BaseRequest`; this follows ptbcontrib's `aiohttp_request`, with PTB's own
timeouts kept."""

from __future__ import annotations

import ssl
from functools import cache
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
import certifi
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

DEFAULT_TIMEOUT_SECONDS = 5.0  # connect, read and write, as PTB's HTTPXRequest
DEFAULT_POOL_TIMEOUT_SECONDS = 1.0


@cache
def _tls() -> ssl.SSLContext:
    """certifi's certificates, as PTB's httpx client uses: read once per process (reading
    them takes about 90 ms, and the bot makes two clients at each start). A context is
    safe to share between connections; nothing here changes it after it is made."""
    return ssl.create_default_context(cafile=certifi.where())


class AiohttpRequest(BaseRequest):
    """At most `connection_pool_size` connections at once; a request that finds none free
    within the pool timeout is not sent and raises `TimedOut`, as with PTB's default.

    aiohttp has no timeout for writing the request on its own: `write_timeout` is added to
    the time allowed for the answer."""

    __slots__ = ("_pool_size", "_proxies", "_session", "_timeout")

    def __init__(
        self,
        connection_pool_size: int = 1,
        *,
        read_timeout: float | None = DEFAULT_TIMEOUT_SECONDS,
        write_timeout: float | None = DEFAULT_TIMEOUT_SECONDS,
        connect_timeout: float | None = DEFAULT_TIMEOUT_SECONDS,
        pool_timeout: float | None = DEFAULT_POOL_TIMEOUT_SECONDS,
    ) -> None:
        self._pool_size = connection_pool_size
        self._timeout = {
            "read": read_timeout,
            "write": write_timeout,
            "connect": connect_timeout,
            "pool": pool_timeout,
        }
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._timeout["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # As PTB's httpx client: certifi's certificates (and proxies from the
            # environment, below).
            connector = aiohttp.TCPConnector(limit=self._pool_size, ssl=_tls())
            self._session = aiohttp.ClientSession(connector=connector, timeout=_NO_TIMEOUT)
            self._proxies.clear()

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        # Seconds, None for none, or PTB's "not given" marker: typed as object here, which
        # PTB's own type for them (in a private module) narrows.
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read = self._chosen("read", read_timeout)
        write = self._chosen("write", write_timeout)
        pool = self._chosen("pool", pool_timeout)
        connect = self._chosen("connect", connect_timeout)
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=None if read is None else read + (write or 0),
        )
        try:
            async with self._session.request(
                method,
                url,
                data=_body(request_data),
                headers={"User-Agent": self.USER_AGENT},
                timeout=timeout,
                proxy=self._proxy(url),
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            if isinstance(error, aiohttp.ConnectionTimeoutError):
                raise TimedOut(
                    "No connection to the Bot API in time (none free in the pool, or it "
                    "could not connect); the request was not sent."
                ) from error
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error

    def _proxy(self, url: str) -> str | None:
        """HTTP(S)_PROXY / NO_PROXY from the environment, read once per host: aiohttp's own
        `trust_env` reads them (and ~/.netrc) again at every request, which doubled the
        CPU time of a request."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            proxy = getproxies().get(parts.scheme)
            self._proxies[key] = None if proxy is None or proxy_bypass(key[1]) else proxy
        return self._proxies[key]

    def _chosen(self, name: str, value: object) -> float | None:
        """The value passed for one call, or this request's own default."""
        if isinstance(value, _DEFAULT):
            return self._timeout[name]
        if value is None or isinstance(value, int | float):
            return None if value is None else float(value)
        raise TypeError(f"{name} must be seconds or None, not {value!r}")


_NO_TIMEOUT = aiohttp.ClientTimeout(total=None)
_DEFAULT = type(BaseRequest.DEFAULT_NONE)  # what PTB passes for "not given in this call"


def _body(request_data: RequestData | None) -> dict[str, str] | aiohttp.FormData | None:
    """Form-encoded parameters (every non-string value JSON-encoded, as PTB sends them),
    or multipart when files are uploaded."""
    if request_data is None:
        return None
    if not request_data.contains_files:
        return request_data.json_parameters
    form = aiohttp.FormData(request_data.json_parameters)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
