"""Which webhook URLs Overgang is willing to call (the SSRF guard).

A municipality registers the URL, so without a guard it could make Overgang POST into our own
network: the cloud metadata service, an admin port on localhost, a database on 10.x. Only https
URLs whose host resolves to public addresses pass. Every resolved address must pass, because the
HTTP client may connect to any of them. Run the check at registration and again before every
send: the DNS answer can change in between.

The URL is parsed with httpx, the same parser the sender uses, so the host checked here is the
host that will be called.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Host name to IP address texts; raises UnresolvableWebhookHost (or returns []) when it cannot.
Resolver = Callable[[str], list[str]]

MAX_URL_LENGTH = 2048
_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")  # Linux connects 0.x.y.z to the local host
# inet_aton's numeric forms, which the system resolver accepts: 2130706433, 0x7f.1, 0177.0.0.1.
_NUMERIC_PART = r"(?:0[xX][0-9a-fA-F]*|[0-9]+)"
_NUMERIC_HOST = re.compile(rf"{_NUMERIC_PART}(?:\.{_NUMERIC_PART}){{0,3}}")
_HTTP_REFUSAL = (
    "only https URLs are accepted; plain http only to a loopback address, and only when "
    "insecure webhooks are allowed for development (OVERGANG_ALLOW_INSECURE_WEBHOOKS)"
)


class UnsafeWebhookUrl(ValueError):
    """The URL may not be used as a webhook endpoint; the message says why."""


class UnresolvableWebhookHost(UnsafeWebhookUrl):
    """The host did not resolve. At registration a refusal; before a send a passing failure."""


def system_resolve(host: str) -> list[str]:
    """The addresses the operating system resolves `host` to, as the HTTP client would."""
    try:
        answers = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise UnresolvableWebhookHost(f"the host {host!r} does not resolve: {error}") from None
    return sorted({str(answer[4][0]) for answer in answers})


def check_webhook_url(
    url: str,
    *,
    allow_insecure_loopback: bool,
    allow_private: bool,
    resolve: Resolver = system_resolve,
) -> None:
    """Raise UnsafeWebhookUrl unless `url` is an acceptable webhook endpoint right now."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeWebhookUrl(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise UnsafeWebhookUrl(f"the URL is not valid: {error}") from None
    if parsed.scheme not in ("https", "http"):
        raise UnsafeWebhookUrl(f"only https URLs are accepted, not {parsed.scheme or 'none'!r}")
    # Plain http would put citizens' data on the wire unencrypted; only a development receiver
    # on this machine may have it (checked again once the host is resolved).
    if parsed.scheme == "http" and not allow_insecure_loopback:
        raise UnsafeWebhookUrl(_HTTP_REFUSAL)
    if parsed.userinfo:
        # Credentials in a URL end up in logs and screens; the signature is the authentication.
        raise UnsafeWebhookUrl("the URL may not contain a user name or password")
    host = parsed.raw_host.decode("ascii")
    if not host:
        raise UnsafeWebhookUrl("the URL has no host")
    addresses = _addresses(host, resolve)
    if not addresses:
        raise UnresolvableWebhookHost(f"the host {host!r} resolves to no addresses")
    for address in addresses:
        reason = _refusal(
            address, allow_loopback=allow_insecure_loopback, allow_private=allow_private
        )
        if reason is not None:
            raise UnsafeWebhookUrl(f"the host {host!r} resolves to {address}, {reason}")
    if parsed.scheme == "http" and not all(_effective(a).is_loopback for a in addresses):
        raise UnsafeWebhookUrl(_HTTP_REFUSAL)


def _addresses(host: str, resolve: Resolver) -> list[IPAddress]:
    literal = _ip_literal(host)
    if literal is not None:
        return [literal]
    resolved: list[IPAddress] = []
    for text in resolve(host):
        try:
            # Link-local IPv6 answers may carry a zone (fe80::1%eth0); the zone does not change
            # which range the address is in.
            resolved.append(ipaddress.ip_address(text.split("%", 1)[0]))
        except ValueError:
            raise UnsafeWebhookUrl(f"the host {host!r} resolved to {text!r}, not an IP") from None
    return resolved


def _ip_literal(host: str) -> IPAddress | None:
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise UnsafeWebhookUrl(f"the host {host!r} is not a valid IPv6 address") from None
    if _NUMERIC_HOST.fullmatch(host):
        return _inet_aton(host)
    return None


def _inet_aton(host: str) -> IPAddress | None:
    """The address the C library makes of a numeric host (1 to 4 parts, hex, octal, decimal)."""
    values: list[int] = []
    for part in host.split("."):
        if part[:2].lower() == "0x":
            base, digits = 16, part[2:] or "0"
        elif len(part) > 1 and part.startswith("0"):
            base, digits = 8, part[1:]
        else:
            base, digits = 10, part
        try:
            values.append(int(digits, base))
        except ValueError:
            return None  # "08": not a number to the C library either, so a name to resolve
    # The last part fills all the bytes the earlier parts leave: 127.1 is 127.0.0.1.
    last_bits = 8 * (5 - len(values))
    if any(value > 255 for value in values[:-1]) or values[-1] >= 1 << last_bits:
        return None
    number = values[-1]
    for position, value in enumerate(values[:-1]):
        number |= value << (24 - 8 * position)
    return ipaddress.IPv4Address(number)


def _effective(address: IPAddress) -> IPAddress:
    # An IPv6 address that carries an IPv4 one reaches that IPv4 host: judge it by that.
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
    return address


def _refusal(address: IPAddress, *, allow_loopback: bool, allow_private: bool) -> str | None:
    target = _effective(address)
    if target.is_loopback:
        return None if allow_loopback else "a loopback address"
    # Link-local before the private test: 169.254.0.0/16 (where cloud metadata lives) counts
    # as private too, but it is never where a municipality's receiver is, so no switch opens it.
    refusals = (
        (target.is_unspecified or target in _THIS_NETWORK, "an unspecified address"),
        (target.is_link_local, "a link-local address"),
        (target.is_multicast, "a multicast address"),
        (target.is_reserved, "a reserved address"),
        (not target.is_global and not allow_private, "a private or otherwise non-public address"),
    )
    return next((reason for refused, reason in refusals if refused), None)
