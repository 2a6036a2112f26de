"""The municipality's webhook receiver, in a process of its own: answers every POST with 200 at
once and notes when each arrived (CLOCK_MONOTONIC, comparable across processes on one machine).

A minimal HTTP/1.1 server on asyncio: keep-alive, Content-Length bodies only (what Overgang's
sender sends). The bodies are parsed only when the parent collects them, after a run, so that
receiving stays cheap while the load is on.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

import orjson

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"
REFUSED = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


@dataclass(frozen=True)
class Arrival:
    """A webhook as received: the FHIR message's MessageHeader.id and when its body was in."""

    header_id: str
    webhook_id: str
    at: float


class _Hook(asyncio.Protocol):
    def __init__(self, arrivals: list[tuple[float, bytes, bytes]]) -> None:
        self.arrivals = arrivals
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = bytes(self.buffer[:end]).lower()
            length = _header(head, b"content-length")
            if not length.isdigit():
                self.transport.write(REFUSED)
                self.transport.close()
                return
            start = end + 4
            stop = start + int(length)
            if len(self.buffer) < stop:
                return
            body = bytes(self.buffer[start:stop])
            self.arrivals.append((time.monotonic(), _header(head, b"webhook-id"), body))
            del self.buffer[:stop]
            self.transport.write(OK)


def _header(head: bytes, name: bytes) -> bytes:
    at = head.find(b"\r\n" + name + b":")
    if at < 0:
        return b""
    value_start = at + len(name) + 3
    value_end = head.find(b"\r\n", value_start)
    return head[value_start : value_end if value_end >= 0 else len(head)].strip()


def _collect(arrivals: list[tuple[float, bytes, bytes]]) -> list[Arrival]:
    """Hand over what arrived since the last collection, matched to its MessageHeader.id."""
    taken = list(arrivals)
    arrivals.clear()
    return [
        Arrival(
            header_id=orjson.loads(body)["entry"][0]["resource"]["id"],
            webhook_id=webhook_id.decode(),
            at=at,
        )
        for at, webhook_id, body in taken
    ]


async def _serve(conn: Connection) -> None:
    arrivals: list[tuple[float, bytes, bytes]] = []
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Hook(arrivals), "127.0.0.1", 0)
    conn.send(server.sockets[0].getsockname()[1])
    stopped = asyncio.Event()

    def on_command() -> None:
        command = conn.recv()
        if command == "collect":
            conn.send(_collect(arrivals))
        elif command == "count":
            conn.send(len(arrivals))
        else:
            stopped.set()

    loop.add_reader(conn.fileno(), on_command)
    await stopped.wait()
    server.close()


def _main(conn: Connection) -> None:
    asyncio.run(_serve(conn))


class ReceiverProcess:
    """Start with `start()`; `url` is then the webhook URL to register."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_main, args=(child,), name="bench-receiver", daemon=True
        )
        self.url = ""

    def start(self) -> None:
        self._process.start()
        if not self._conn.poll(30):
            raise RuntimeError("the webhook receiver did not start")
        self.url = f"http://127.0.0.1:{self._conn.recv()}/hook"

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def count(self) -> int:
        self._conn.send("count")
        received: int = self._conn.recv()
        return received

    def collect(self) -> list[Arrival]:
        self._conn.send("collect")
        arrivals: list[Arrival] = self._conn.recv()
        return arrivals

    def stop(self) -> None:
        if self._process.is_alive():
            self._conn.send("stop")
            self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
