"""SSRF guard: which addresses a feed URL may reach, checked after DNS and on every redirect hop.

The resolver below is the only way aiohttp learns an address for a host name, so the address we
checked is the address it connects to. IP literals skip resolvers in aiohttp, so `check_url`
checks them before every request.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
ALLOWED_SCHEMES = frozenset({"http", "https"})
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_FIX = (
    "set fetch.allow_private_addresses = true or list the network in fetch.allowed_networks "
    "if this feed is on your own network"
)


class BlockedAddressError(OSError):
    """A feed URL that must not be fetched; the message says why and how to allow it."""


@dataclass(frozen=True)
class AddressPolicy:
    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    def refusal(self, address: IPAddress) -> str | None:
        """Why `address` may not be contacted, or None when it may."""
        if self.allow_private or any(address in net for net in self.allowed_networks):
            return None
        return _address_class_problem(address)


def _address_class_problem(address: IPAddress) -> str | None:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "an IPv4-mapped IPv6 address"
        # 6to4 and Teredo addresses carry an IPv4 address that may be a private one.
        embedded = address.sixtofour or (address.teredo[1] if address.teredo else None)
        inner = _address_class_problem(embedded) if embedded is not None else None
        if inner:
            return f"a 6to4/Teredo address wrapping {embedded}, {inner}"
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (isinstance(address, ipaddress.IPv4Address) and address in _CGNAT, "a CGNAT address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "not a public address"),
    )
    return next((problem for failed, problem in checks if failed), None)


def check_url(url: str, policy: AddressPolicy) -> None:
    """Scheme and IP-literal checks that need no DNS. Raises BlockedAddressError."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise BlockedAddressError(f"refused {url!r}: only http and https URLs are fetched")
    host = parts.hostname
    if not host:
        raise BlockedAddressError(f"refused {url!r}: the URL has no host")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return  # a name: the resolver checks what it resolves to
    problem = policy.refusal(literal)
    if problem:
        raise BlockedAddressError(f"refused {host}: {problem}; {_FIX}")


class GuardedResolver(AbstractResolver):
    """Resolves through the system resolver, refusing the host if any address is forbidden."""

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner or ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            problem = self._policy.refusal(ipaddress.ip_address(result["host"]))
            if problem:
                # One bad address refuses the host: a name that mixes public and private
                # answers is the DNS-rebinding trick.
                address = result["host"]
                raise BlockedAddressError(
                    f"refused {host}: resolves to {address}, {problem}; {_FIX}"
                )
        return results

    async def close(self) -> None:
        await self._inner.close()
