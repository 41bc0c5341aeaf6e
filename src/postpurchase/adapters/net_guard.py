"""Outbound connections to addresses someone else chose: refuse the inside of our network.

Merchants choose where their webhooks go and which Apprise targets get the ops digest.
Left alone, ``http://127.0.0.1:6379/`` or ``http://169.254.169.254/`` would make this
server talk to itself, its database, its cloud's metadata service or anything else on the
private network, and the delivery record would tell the attacker which ports are open
(server-side request forgery).

The rule: a name is resolved **once**, every address it resolves to is checked, and the
connection goes to exactly an address that was checked (a DNS answer that changes between
the check and the connect -- DNS rebinding -- cannot slip a private address in). Refused:
loopback, private (RFC 1918, unique-local), link-local, shared (CGNAT), multicast,
reserved, unspecified and every other non-global range, IPv4 and IPv6, including IPv4
addresses wrapped in IPv6 (mapped ``::ffff:…``, compatible, 6to4, NAT64). Self-hosters who
need a private target say so explicitly: ``POSTPURCHASE_OUTBOUND_ALLOW`` takes networks
(``10.0.0.0/8``, ``127.0.0.1``) and host names (``hooks.internal``, ``*.corp.example``).

A refusal never says more than :data:`REFUSED`: not the address, not whether anything
listens there.

Two ways in, one policy:

- :class:`OutboundPolicy` resolves and checks (``resolve``), for code that connects itself
  (the webhook poster's HTTP transport) and for checks at registration time;
- :func:`guarded` checks every connection a third-party library (Apprise, which has a
  hundred plugins with their own HTTP, SMTP and socket code) makes from inside the block:
  name resolution (``socket.getaddrinfo``) and ``connect``/``sendto`` are checked against
  the policy for the current context only (a :class:`~contextvars.ContextVar`, which
  Apprise copies into its worker threads); everything else in the process is untouched.

Shared by adapters that must not import each other, hence a module of its own.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]
"""``(host, port) -> addresses`` (textual IPs). Tests inject their own; never the network."""

REFUSED = "refused: address not allowed"

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_getaddrinfo = socket.getaddrinfo  # the real one, captured before :func:`guarded` wraps it
_LABEL = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


class AddressNotAllowed(OSError):
    """The destination is inside (or resolves into) a range we do not connect to."""

    def __init__(self) -> None:
        super().__init__(REFUSED)


class HostNotFound(OSError):
    """The name does not resolve (a transient condition as far as deliveries go)."""


def system_resolver(host: str, port: int) -> list[str]:
    infos = _getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    found = (
        str(info[4][0]).partition("%")[0]
        for info in infos
        if info[0] in (socket.AF_INET, socket.AF_INET6)
    )
    return list(dict.fromkeys(found))


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, NAT64, compatible)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or int(ip) >> 32 == 0:  # 64:ff9b::a.b.c.d, and ::a.b.c.d (incl. ::1)
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """True only for globally routable unicast addresses."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None:
            return is_public(inner)
        if ip.is_site_local:
            return False
    return ip.is_global and not (
        ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_private
    )


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").partition("%")[0])
    except ValueError:
        return None


def _normal_name(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


@dataclass(frozen=True)
class OutboundPolicy:
    """Which destinations are allowed: public addresses, plus the explicit allow-list."""

    networks: tuple[Network, ...] = ()
    names: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()  # from "*.corp.example": ".corp.example"
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def parse(cls, allow: str | Iterable[str] = "", *, resolver: Resolver | None = None) -> Self:
        """From ``POSTPURCHASE_OUTBOUND_ALLOW``: networks, addresses and host names,
        separated by commas or spaces. Raises ValueError naming a malformed entry."""
        entries = allow.replace(",", " ").split() if isinstance(allow, str) else list(allow)
        networks: list[Network] = []
        names: set[str] = set()
        suffixes: list[str] = []
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            name = _normal_name(entry)
            bare = name[2:] if name.startswith("*.") else name
            if not bare or not all(part and _LABEL.issuperset(part) for part in bare.split(".")):
                raise ValueError(f"not a network, address or host name: {entry!r}")
            if name.startswith("*."):
                suffixes.append("." + bare)
            else:
                names.add(bare)
        return cls(tuple(networks), frozenset(names), tuple(suffixes), resolver or system_resolver)

    def with_resolver(self, resolver: Resolver) -> OutboundPolicy:
        return OutboundPolicy(self.networks, self.names, self.suffixes, resolver)

    def name_allowed(self, host: str) -> bool:
        name = _normal_name(host)
        return name in self.names or any(name.endswith(s) for s in self.suffixes)

    def address_allowed(self, ip: IPAddress) -> bool:
        if any(ip.version == n.version and ip in n for n in self.networks):
            return True
        if isinstance(ip, ipaddress.IPv6Address):
            inner = embedded_ipv4(ip)
            if inner is not None and any(inner in n for n in self.networks if n.version == 4):
                return True
        return is_public(ip)

    def resolve(self, host: str, port: int) -> list[str]:
        """Every address ``host`` resolves to, each checked. Raises
        :class:`AddressNotAllowed` when any of them is refused (a name that resolves to
        one public and one private address is refused: which one a connection would get
        is not ours to choose), :class:`HostNotFound` when there is none."""
        literal = _literal(host)
        if literal is not None:
            if not self.address_allowed(literal):
                raise AddressNotAllowed()
            return [str(literal)]
        name = _normal_name(host)
        try:
            found = [a.partition("%")[0] for a in self.resolver(name, port)]
        except (OSError, UnicodeError) as exc:
            raise HostNotFound(f"could not resolve {name}") from exc
        addresses = [ip for ip in (_literal(a) for a in found) if ip is not None]
        if not addresses:
            raise HostNotFound(f"could not resolve {name}")
        if not self.name_allowed(name) and not all(self.address_allowed(a) for a in addresses):
            raise AddressNotAllowed()
        return [str(a) for a in addresses]

    def check_url(self, url: str) -> None:
        """Resolve and check the host of an http(s) URL (registration time). A name that
        does not resolve (yet) passes: the delivery checks again anyway."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            port = 0
        try:
            self.resolve(host, port)
        except HostNotFound:
            return


# --------------------------------------------------------------------------- third-party code


@dataclass
class Guard:
    """What happened inside one :func:`guarded` block."""

    policy: OutboundPolicy
    refused: int = 0
    checked: set[str] = field(default_factory=set)  # handed out by the guarded resolver


_active: ContextVar[Guard | None] = ContextVar("postpurchase_outbound_guard", default=None)
_install_lock = threading.Lock()
_installed = False


@contextmanager
def guarded(policy: OutboundPolicy) -> Iterator[Guard]:
    """Within this block (and the threads it starts with a copy of its context), every
    name resolution and every TCP/UDP connection is checked against ``policy``."""
    _install()
    guard = Guard(policy)
    token = _active.set(guard)
    try:
        yield guard
    finally:
        _active.reset(token)


# The socket methods as they were before :func:`_install` wrapped them (what the wrappers
# call once an address has passed; tests put a loopback-only tripwire here).
_RAW: dict[str, Any] = {
    "connect": socket.socket.connect,
    "connect_ex": socket.socket.connect_ex,
    "sendto": socket.socket.sendto,
}


def _install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return

        def guarded_connect(self: socket.socket, address: Any) -> None:
            _RAW["connect"](self, _checked(self, address))

        def guarded_connect_ex(self: socket.socket, address: Any) -> int:
            return int(_RAW["connect_ex"](self, _checked(self, address)))

        def guarded_sendto(self: socket.socket, data: Any, *args: Any) -> int:
            if args:
                args = (*args[:-1], _checked(self, args[-1]))
            return int(_RAW["sendto"](self, data, *args))

        socket.getaddrinfo = _guarded_getaddrinfo
        wrappers = {"connect": guarded_connect, "connect_ex": guarded_connect_ex,
                    "sendto": guarded_sendto}  # fmt: skip
        for name, wrapper in wrappers.items():
            setattr(socket.socket, name, wrapper)
        _installed = True


def _refuse(guard: Guard) -> AddressNotAllowed:
    guard.refused += 1
    return AddressNotAllowed()


def _guarded_getaddrinfo(
    host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
) -> list[Any]:
    guard = _active.get()
    if guard is None or host is None:
        return _getaddrinfo(host, port, family, type, proto, flags)
    name = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
    try:
        number = int(port) if port is not None else 0
    except (TypeError, ValueError):
        number = 0
    try:
        addresses = guard.policy.resolve(name, number)
    except AddressNotAllowed:
        raise _refuse(guard) from None
    except HostNotFound as exc:
        raise socket.gaierror(socket.EAI_NONAME, str(exc)) from None
    guard.checked.update(addresses)
    out: list[Any] = []
    for address in addresses:
        try:
            out.extend(
                _getaddrinfo(address, port, family, type, proto, flags | socket.AI_NUMERICHOST)
            )
        except socket.gaierror:
            continue  # e.g. an IPv6 address when the caller asked for IPv4 only
    if not out:
        raise socket.gaierror(socket.EAI_NONAME, f"could not resolve {name}")
    return out


def _checked(sock: socket.socket, address: Any) -> Any:
    """The address to connect to: an address literal if allowed; a name is resolved
    (checked) here and replaced by its first address, so nothing resolves it again."""
    guard = _active.get()
    if guard is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return address
    if not isinstance(address, tuple) or not address:
        raise _refuse(guard)
    host = address[0].decode() if isinstance(address[0], bytes) else str(address[0])
    literal = _literal(host)
    if literal is not None:
        if str(literal) not in guard.checked and not guard.policy.address_allowed(literal):
            raise _refuse(guard)
        return address
    try:
        first = guard.policy.resolve(host, int(address[1]))[0]
    except AddressNotAllowed:
        raise _refuse(guard) from None
    return (first, *address[1:])
