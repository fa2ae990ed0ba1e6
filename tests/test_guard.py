"""SSRF guard: which addresses a feed may reach, before DNS (check_url) and after (resolver)."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.ingest.guard import AddressPolicy, BlockedAddressError, GuardedResolver, check_url

STRICT = AddressPolicy()


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("10.0.0.1", "private"),
        ("10.255.255.255", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "CGNAT"),
        ("100.127.255.254", "CGNAT"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("255.255.255.255", "private"),
        ("240.0.0.1", "private"),
        ("192.0.2.1", "private"),
        ("198.18.0.1", "private"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "IPv4-mapped"),
        ("::ffff:10.0.0.1", "IPv4-mapped"),
        ("::ffff:8.8.8.8", "IPv4-mapped"),
        ("64:ff9b::7f00:1", "reserved"),
        ("2001:db8::1", "private"),
        ("8.8.8.8", None),
        ("1.1.1.1", None),
        ("100.63.255.255", None),
        ("100.128.0.0", None),
        ("172.32.0.1", None),
        ("2001:4860:4860::8888", None),
        ("2a00:1450:4001:82b::200e", None),
    ],
    ids=lambda value: str(value),
)
def test_refusal(address, problem):
    refusal = STRICT.refusal(ipaddress.ip_address(address))
    if problem is None:
        assert refusal is None
    else:
        assert refusal is not None and problem in refusal


@pytest.mark.parametrize(
    ("policy", "address", "allowed"),
    [
        (AddressPolicy(allow_private=True), "127.0.0.1", True),
        (AddressPolicy(allow_private=True), "::ffff:127.0.0.1", True),
        (AddressPolicy(allow_private=True), "169.254.169.254", True),
        (AddressPolicy(allowed_networks=(ipaddress.ip_network("10.1.2.0/24"),)), "10.1.2.3", True),
        (AddressPolicy(allowed_networks=(ipaddress.ip_network("10.1.2.0/24"),)), "10.1.3.3", False),
        (
            AddressPolicy(allowed_networks=(ipaddress.ip_network("10.1.2.0/24"),)),
            "127.0.0.1",
            False,
        ),
        (AddressPolicy(allowed_networks=(ipaddress.ip_network("fd00::/8"),)), "fd00::5", True),
        (AddressPolicy(allowed_networks=(ipaddress.ip_network("fd00::/8"),)), "10.0.0.1", False),
        (AddressPolicy(allowed_networks=(ipaddress.ip_network("fd00::/8"),)), "8.8.8.8", True),
    ],
    ids=[
        "allow-private-loopback",
        "allow-private-mapped",
        "allow-private-metadata",
        "allowed-network-inside",
        "allowed-network-outside",
        "allowed-network-not-loopback",
        "allowed-v6-network",
        "v6-network-v4-address",
        "public-still-fine",
    ],
)
def test_allow_private_and_allowed_networks(policy, address, allowed):
    assert (policy.refusal(ipaddress.ip_address(address)) is None) is allowed


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://example.com/feed", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("javascript:alert(1)", "only http and https"),
        ("gopher://127.0.0.1:70/", "only http and https"),
        ("example.com/feed", "only http and https"),
        ("http:///feed", "no host"),
        ("https://", "no host"),
        ("http://127.0.0.1/feed", "loopback"),
        ("http://127.0.0.1:8080/feed", "loopback"),
        ("http://[::1]/feed", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "IPv4-mapped"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://0.0.0.0/", "unspecified"),
        ("https://user:pw@10.0.0.1/feed", "private"),
        ("https://example.com/feed", None),
        ("HTTPS://Example.COM/feed", None),
        ("http://localhost/feed", None),  # a name: the resolver decides
        ("http://8.8.8.8/feed", None),
        ("http://[2001:4860:4860::8888]/feed", None),
    ],
    ids=lambda value: str(value),
)
def test_check_url(url, fragment):
    if fragment is None:
        check_url(url, STRICT)
        return
    with pytest.raises(BlockedAddressError) as caught:
        check_url(url, STRICT)
    assert fragment in str(caught.value)
    if "http" in url.split(":")[0].lower() and "no host" not in fragment:
        assert "allow_private_addresses" in str(caught.value)  # says how to allow it


def test_check_url_honours_the_policy():
    check_url("http://127.0.0.1:8080/feed", AddressPolicy(allow_private=True))
    with pytest.raises(BlockedAddressError):
        check_url("ftp://127.0.0.1/feed", AddressPolicy(allow_private=True))


class FixedResolver(AbstractResolver):
    """Stands in for the system DNS: every name resolves to the given addresses."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses
        self.closed = False
        self.asked: list[tuple[str, int, socket.AddressFamily]] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append((host, port, family))
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self.addresses
        ]

    async def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize(
    ("addresses", "blocked"),
    [
        (("93.184.216.34",), None),
        (("93.184.216.34", "2606:2800:220:1::1"), None),
        (("93.184.216.34", "10.0.0.5"), "10.0.0.5"),
        (("127.0.0.1", "93.184.216.34"), "127.0.0.1"),
        (("2606:2800:220:1::1", "::ffff:192.168.0.1"), "::ffff:192.168.0.1"),
        (("169.254.169.254",), "169.254.169.254"),
        (("fe80::1%eth0",), "fe80::1%eth0"),
    ],
    ids=[
        "public",
        "public-v4-v6",
        "mixed-private",
        "mixed-loopback-first",
        "mapped",
        "metadata",
        "link-local-scoped",
    ],
)
async def test_guarded_resolver(addresses, blocked):
    inner = FixedResolver(*addresses)
    resolver = GuardedResolver(STRICT, inner)
    if blocked is None:
        results = await resolver.resolve("feeds.example", 443)
        assert [r["host"] for r in results] == list(addresses)
    else:
        with pytest.raises(BlockedAddressError) as caught:
            await resolver.resolve("feeds.example", 443)
        message = str(caught.value)
        assert "feeds.example" in message and blocked in message
        assert "allowed_networks" in message
    assert inner.asked == [("feeds.example", 443, socket.AF_INET)]
    await resolver.close()
    assert inner.closed


async def test_guarded_resolver_with_a_permissive_policy():
    inner = FixedResolver("93.184.216.34", "10.0.0.5")
    allowed = AddressPolicy(allowed_networks=(ipaddress.ip_network("10.0.0.0/24"),))
    results = await GuardedResolver(allowed, inner).resolve("intranet.example", 80)
    assert len(results) == 2


@pytest.mark.parametrize(
    "text",
    ["2002:7f00:1::", "2002:a9fe:a9fe::", "2001:0:4136:e378:8000:63bf:f5ff:fffe"],
    ids=["6to4-loopback", "6to4-metadata", "teredo-private-client"],
)
def test_tunnel_addresses_wrapping_forbidden_ipv4_are_refused(text):
    problem = AddressPolicy().refusal(ipaddress.ip_address(text))
    assert problem is not None and "6to4/Teredo" in problem
