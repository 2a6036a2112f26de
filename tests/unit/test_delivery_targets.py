"""The SSRF guard on webhook URLs, with a made-up DNS so no test touches the network."""

from __future__ import annotations

import pytest

from overgang.delivery.targets import (
    UnresolvableWebhookHost,
    UnsafeWebhookUrl,
    check_webhook_url,
)

DNS = {
    "kommune.example.dk": ["93.184.216.34"],
    "dual.example.dk": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
    "half-internal.example.dk": ["93.184.216.34", "10.1.2.3"],
    "internal.example.dk": ["10.20.30.40"],
    "metadata.example.dk": ["169.254.169.254"],
    "localhost": ["127.0.0.1", "::1"],
    "rebound.example.dk": ["::ffff:127.0.0.1"],
    "zoned.example.dk": ["fe80::1%eth0"],
    "xn--bcher-kva.dk": ["93.184.216.35"],
    "nowhere.example.dk": [],
}


def fake_dns(host: str) -> list[str]:
    if host not in DNS:
        raise UnresolvableWebhookHost(f"no such host {host!r}")
    return DNS[host]


def check(url: str, *, insecure_loopback: bool = False, private: bool = False) -> None:
    check_webhook_url(
        url,
        allow_insecure_loopback=insecure_loopback,
        allow_private=private,
        resolve=fake_dns,
    )


def refusal(url: str, *, insecure_loopback: bool = False, private: bool = False) -> str:
    with pytest.raises(UnsafeWebhookUrl) as caught:
        check(url, insecure_loopback=insecure_loopback, private=private)
    return str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://kommune.example.dk/overgang/webhook",
        "https://kommune.example.dk:8443/hook?kommune=0101",
        "https://dual.example.dk/hook",
        "https://bücher.dk/hook",
        "https://93.184.216.34/hook",
        "https://[2606:2800:220:1:248:1893:25c8:1946]/hook",
    ],
)
def test_a_public_https_endpoint_is_accepted(url: str) -> None:
    check(url)


@pytest.mark.parametrize(
    "url", ["http://kommune.example.dk/hook", "ftp://kommune.example.dk/", "file:///etc/passwd"]
)
def test_only_https_is_accepted(url: str) -> None:
    assert "only https" in refusal(url)


def test_plain_http_to_a_public_host_stays_refused_with_the_development_switch() -> None:
    assert "only https" in refusal("http://kommune.example.dk/hook", insecure_loopback=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8080/hook",
        "http://127.0.0.1:8080/hook",
        "http://[::1]:8080/hook",
        "https://localhost/hook",
        "http://rebound.example.dk/hook",
    ],
)
def test_the_development_switch_allows_loopback_receivers(url: str) -> None:
    check(url, insecure_loopback=True)


@pytest.mark.parametrize(
    "url", ["https://localhost/hook", "https://127.0.0.1/hook", "https://[::1]/hook"]
)
def test_loopback_is_refused_without_the_development_switch(url: str) -> None:
    assert "loopback" in refusal(url)
    assert "loopback" in refusal(url, private=True)


def test_credentials_in_the_url_are_refused() -> None:
    assert "user name or password" in refusal("https://kommune:hemmelig@kommune.example.dk/hook")
    assert "user name or password" in refusal("https://kommune@kommune.example.dk/hook")


@pytest.mark.parametrize(
    "url", ["https:///hook", "//kommune.example.dk/hook", "kommune.example.dk"]
)
def test_a_url_without_scheme_or_host_is_refused(url: str) -> None:
    refusal(url)


def test_an_overlong_url_is_refused() -> None:
    assert "longer than" in refusal("https://kommune.example.dk/" + "a" * 3000)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://10.0.0.1/hook", "private"),
        ("https://172.16.5.4/hook", "private"),
        ("https://172.31.255.255/hook", "private"),
        ("https://192.168.1.10/hook", "private"),
        ("https://100.64.0.1/hook", "non-public"),  # carrier-grade NAT
        ("https://[fc00::1]/hook", "private"),
        ("https://[fd12:3456::1]/hook", "private"),
        ("https://internal.example.dk/hook", "private"),
        ("https://[::ffff:10.0.0.1]/hook", "private"),
        ("https://[2002:a00:1::]/hook", "private"),  # 6to4 around 10.0.0.1
    ],
)
def test_private_addresses_are_refused(url: str, kind: str) -> None:
    assert kind in refusal(url)


@pytest.mark.parametrize(
    "url",
    ["https://10.0.0.1/hook", "https://internal.example.dk/hook", "https://[fd12:3456::1]/hook"],
)
def test_private_addresses_are_allowed_when_the_deployment_says_so(url: str) -> None:
    check(url, private=True)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://metadata.example.dk/", "link-local"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://zoned.example.dk/hook", "link-local"),
        ("https://[::ffff:169.254.169.254]/", "link-local"),
        ("https://224.0.0.1/hook", "multicast"),
        ("https://[ff02::1]/hook", "multicast"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("https://0.1.2.3/hook", "unspecified"),
        ("https://[::]/hook", "unspecified"),
        ("https://240.0.0.1/hook", "reserved"),
        ("https://255.255.255.255/hook", "reserved"),
    ],
)
def test_never_useful_addresses_are_refused_even_with_every_switch(url: str, kind: str) -> None:
    assert kind in refusal(url, insecure_loopback=True, private=True)


def test_one_internal_address_among_public_ones_is_enough_to_refuse() -> None:
    assert "10.1.2.3" in refusal("https://half-internal.example.dk/hook")


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("167772161", "10.0.0.1"),
        ("0xa.0.0.1", "10.0.0.1"),
        ("2852039166", "169.254.169.254"),
    ],
)
def test_numeric_hosts_are_judged_by_the_address_they_stand_for(host: str, address: str) -> None:
    # The resolver is never asked: fake_dns would call these hosts unknown.
    assert address in refusal(f"https://{host}/hook")


def test_a_numeric_host_for_a_public_address_is_accepted() -> None:
    check("https://1572395042/hook")  # 93.184.216.34


def test_the_development_switch_accepts_a_decimal_loopback_host() -> None:
    check("http://2130706433:8080/hook", insecure_loopback=True)


def test_a_host_that_does_not_resolve_is_refused_as_unresolvable() -> None:
    with pytest.raises(UnresolvableWebhookHost):
        check("https://ukendt.example.dk/hook")
    with pytest.raises(UnresolvableWebhookHost, match="no addresses"):
        check("https://nowhere.example.dk/hook")


def test_an_unresolvable_host_is_still_an_unsafe_url_to_registration() -> None:
    assert issubclass(UnresolvableWebhookHost, UnsafeWebhookUrl)
    assert issubclass(UnsafeWebhookUrl, ValueError)
