"""Two ways to POST a message on keep-alive connections: httpx's AsyncClient (the default, what an
integrator would use), and a lean HTTP/1.1 client on asyncio streams for when the generator must
cost less than the server it measures (httpx spends about 2 ms of CPU per request here).

Both give a request at most `timeout` seconds to get one of the `connections`, and then at most
`timeout` seconds for its answer, so that a phase against an overloaded server still ends.
(httpx's own pool timeout did not bound the wait: requests queued for over a minute.) A single
deadline for both waits would instead send requests with almost no time left, which time out at
once and leave the server working for nobody.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol
from urllib.parse import urlsplit

import httpx

NOT_SENT = 0  # the status of a request that found no free connection in time
IDLE_SECONDS = 4.0  # an idle connection older than this is not reused


class Poster(Protocol):
    async def post(self, body: bytes) -> int | None:
        """POST `body`; the status, None when no answer came (timeout, connection error), or
        NOT_SENT."""

    async def aclose(self) -> None: ...


class _Bounded:
    """The connection slots and the two timeouts; subclasses send."""

    def __init__(self, *, connections: int, timeout: float) -> None:
        self.timeout = timeout
        self.slots = asyncio.Semaphore(connections)

    async def post(self, body: bytes) -> int | None:
        try:
            async with asyncio.timeout(self.timeout):
                await self.slots.acquire()
        except TimeoutError:
            return NOT_SENT
        try:
            async with asyncio.timeout(self.timeout):
                return await self._send(body)
        except TimeoutError:
            return None
        finally:
            self.slots.release()

    async def _send(self, body: bytes) -> int | None:
        raise NotImplementedError


class HttpxPoster(_Bounded):
    def __init__(self, *, url: str, headers: dict[str, str], connections: int, timeout: float):
        super().__init__(connections=connections, timeout=timeout)
        self.url = url
        self.headers = headers
        self.client = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            timeout=httpx.Timeout(None),  # the deadlines are _Bounded's
            trust_env=False,
        )

    async def _send(self, body: bytes) -> int | None:
        try:
            response = await self.client.post(self.url, content=body, headers=self.headers)
        except httpx.HTTPError:
            return None
        return response.status_code

    async def aclose(self) -> None:
        await self.client.aclose()


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = time.monotonic()

    @property
    def reusable(self) -> bool:
        # uvicorn closes a connection after 5 s without a request (its keep-alive timeout).
        return not self.reader.at_eof() and time.monotonic() - self.idle_since < IDLE_SECONDS

    async def exchange(self, request: bytes, body: bytes) -> tuple[int, bool]:
        """Send one request; (status, whether the server keeps the connection open)."""
        self.writer.write(request)
        self.writer.write(body)
        head = (await self.reader.readuntil(b"\r\n\r\n")).lower()
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                raise ConnectionError("chunked responses are not supported")
        await self.reader.readexactly(length)
        self.idle_since = time.monotonic()
        return status, b"connection: close" not in head

    def close(self) -> None:
        self.writer.close()


class RawPoster(_Bounded):
    """Keep-alive connections, opened as needed and reused; Content-Length responses only."""

    def __init__(self, *, url: str, headers: dict[str, str], connections: int, timeout: float):
        super().__init__(connections=connections, timeout=timeout)
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        fixed = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.head = f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{fixed}"
        self.idle: list[_Connection] = []

    async def _send(self, body: bytes) -> int | None:
        connection = self._idle_connection()
        request = f"{self.head}Content-Length: {len(body)}\r\n\r\n".encode()
        try:
            if connection is None:
                connection = _Connection(*await asyncio.open_connection(self.host, self.port))
            status, keep = await connection.exchange(request, body)
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            if connection is not None:
                connection.close()
            return None
        except asyncio.CancelledError:
            # Timed out mid-request: the connection's state is unknown.
            if connection is not None:
                connection.close()
            raise
        if keep:
            self.idle.append(connection)
        else:
            connection.close()
        return status

    def _idle_connection(self) -> _Connection | None:
        while self.idle:
            connection = self.idle.pop()
            if connection.reusable:
                return connection
            connection.close()
        return None

    async def aclose(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()


def make_poster(
    kind: str, *, url: str, headers: dict[str, str], connections: int, timeout: float
) -> Poster:
    poster = HttpxPoster if kind == "httpx" else RawPoster
    return poster(url=url, headers=headers, connections=connections, timeout=timeout)
