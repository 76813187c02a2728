"""How the bot talks HTTP to Telegram: python-telegram-bot's requests made with aiohttp.

python-telegram-bot makes its requests with httpx by default. With many people at once the bot
has many requests in flight, and httpx's connection pool costs more CPU per request the more
connections it holds (it checks each of them for every request): measured, the bot's own cost
per answer halved with aiohttp's client and its C-accelerated HTTP parser (docs/PERFORMANCE.md).
Everything above it is python-telegram-bot's, unchanged: what is sent, retries, the rate limiter,
errors as Telegram reports them.

The same timeouts as python-telegram-bot's own request (5 s to connect, 5 s to read, 1 s to wait
for a free connection; longer for uploads), the same errors: TimedOut for a timeout,
NetworkError for a failed connection.
"""

from __future__ import annotations

import ssl
from typing import Any

import aiohttp
import certifi
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
MEDIA_WRITE_TIMEOUT = 20.0  # sending a photo or a document
POOL_TIMEOUT = 1.0  # waiting for a free connection


_tls: ssl.SSLContext | None = None


def _tls_context() -> ssl.SSLContext:
    """One TLS context for every request (each holds the CA certificates: most of a MB)."""
    global _tls
    if _tls is None:
        # The CA certificates httpx would use, not whatever the system has (or lacks).
        _tls = ssl.create_default_context(cafile=certifi.where())
    return _tls


def _given(value: Any, default: float | None) -> float | None:
    """A timeout the caller gave, or ours (python-telegram-bot marks "not given" with
    BaseRequest.DEFAULT_NONE and its kind)."""
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value


class AiohttpRequest(BaseRequest):
    """A python-telegram-bot request (BaseRequest) over one aiohttp session with a pool of
    `connection_pool_size` connections."""

    def __init__(self, connection_pool_size: int = 256, read_timeout: float = READ_TIMEOUT) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, ssl=_tls_context()),
                # Proxies from the environment (HTTPS_PROXY...), as httpx does.
                trust_env=True,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        data: Any = None
        files = None
        if request_data is not None:
            data = request_data.json_parameters  # built on each call: once here
            files = request_data.multipart_data
            if files:
                form = aiohttp.FormData()
                for name, value in data.items():
                    form.add_field(name, value)
                for name, (filename, content, mimetype) in files.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                data = form
        read = _given(read_timeout, self._read_timeout)
        connect = _given(connect_timeout, CONNECT_TIMEOUT)
        pool = _given(pool_timeout, POOL_TIMEOUT)
        write = _given(write_timeout, MEDIA_WRITE_TIMEOUT if files else WRITE_TIMEOUT)
        # aiohttp has no timeout for writing alone: the whole request is bounded by the sum.
        parts = (read, connect, pool, write)
        total = None if None in parts else sum(p for p in parts if p is not None)
        timeout = aiohttp.ClientTimeout(
            total=total,
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(
                method, url, data=data, timeout=timeout, headers={"User-Agent": self.USER_AGENT}
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:  # aiohttp's timeouts are TimeoutErrors too
            raise TimedOut from err
        except (aiohttp.ClientError, OSError) as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err
