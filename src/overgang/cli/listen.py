"""`overgang listen`: a municipality's messages as they come, each once, in sequence order."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Annotated

import httpx
import typer

from overgang.cli.common import fail
from overgang.domain.identifiers import InvalidIdentifier, normalise_municipality_code
from overgang.listen.inbox import ApiError, InboxApi
from overgang.listen.listener import ForwardFailed, Listener, forwarder
from overgang.listen.receiver import WebhookReceiver
from overgang.listen.state import SequenceState

TOKEN_VARIABLE = "OVERGANG_TOKEN"  # noqa: S105 - the name of the variable, not a token


def listen(  # noqa: PLR0917 - typer passes options by keyword
    municipality: Annotated[str, typer.Option(help="The municipality code, e.g. 0851.")],
    forward_to: Annotated[
        str | None, typer.Option(help="POST each message's FHIR bytes here, once.")
    ] = None,
    base_url: Annotated[str, typer.Option(help="Overgang's address.")] = "http://127.0.0.1:8000",
    pull: Annotated[
        bool, typer.Option("--pull/--webhook", help="Poll the inbox instead of taking webhooks.")
    ] = False,
    port: Annotated[int, typer.Option(help="Webhook receiver port (0: any free one).")] = 0,
    public_url: Annotated[
        str | None,
        typer.Option(help="The receiver's URL as Overgang reaches it (default: on loopback)."),
    ] = None,
    state_file: Annotated[
        Path | None, typer.Option(help="Where the last sequence is kept across restarts.")
    ] = None,
    poll_seconds: Annotated[float, typer.Option(min=0.1, help="Inbox check interval.")] = 5.0,
    show_cpr: Annotated[bool, typer.Option(help="Print CPR numbers (personal data).")] = False,
    once: Annotated[bool, typer.Option(help="Catch up on the inbox, then stop.")] = False,
) -> None:
    """Receive a municipality's messages (webhook, verified, or pull), catch up on any gap in
    the sequence, forward each once, acknowledge it and print one line. The token is read from
    OVERGANG_TOKEN; the last sequence from --state-file (default .overgang-listen-CODE.json)."""
    try:
        code = normalise_municipality_code(municipality)
    except InvalidIdentifier as error:
        fail(str(error))
    token = os.environ.get(TOKEN_VARIABLE)
    if not token:
        fail(f"set {TOKEN_VARIABLE} to the municipality's bearer token")
    state = SequenceState.load(state_file or Path(f".overgang-listen-{code}.json"))
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with httpx.Client(base_url=base_url, timeout=30) as client:
        inbox = InboxApi(client, token)
        listener = Listener(
            inbox=inbox,
            state=state,
            print_line=typer.echo,
            show_cpr=show_cpr,
            forward=forwarder(client, forward_to) if forward_to else None,
        )
        receiver, endpoint = None, None
        try:
            if not pull and not once:
                receiver = WebhookReceiver(port=port)
                url = public_url or receiver.base_url + "/webhook"
                endpoint, secret = inbox.register_webhook(url)
                receiver.route("/webhook", secret=secret, take=listener.push)
                typer.echo(f"listening for {code}'s webhooks on {url}", err=True)
            caught_up = listener.catch_up()
            typer.echo(f"caught up: {caught_up} message(s), now at {state.last_sequence}", err=True)
            while not once and not stopped.is_set():
                if listener.wait(poll_seconds):
                    listener.drain()
                else:
                    listener.catch_up()  # a lost last push shows only here
        except KeyboardInterrupt:
            pass
        except (ApiError, ForwardFailed, httpx.HTTPError) as error:
            fail(f"{error} (the last sequence taken was {state.last_sequence})")
        finally:
            if endpoint is not None:
                inbox.remove_webhook(endpoint)
            if receiver is not None:
                receiver.close()
