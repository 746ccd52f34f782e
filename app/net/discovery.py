"""Finding the console on the LAN (DESIGN §7): configured addresses first, then mDNS as a hint.

The receiver announces `_kestrel._tcp` with the first 16 hex digits of its CA pin in a TXT
record. A device looking for its console keeps only announcements carrying its own pin's digits
— anything can announce anything on a LAN, so this only saves a wasted connection: the TLS pin
check is what decides (a rogue console that copies the digits still fails the handshake).

Threading: python-zeroconf runs its own thread; these calls block for at most `timeout_s`.
"""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Callable, Sequence

import ifaddr
from zeroconf import (
    InterfaceChoice,
    IPVersion,
    ServiceBrowser,
    ServiceInfo,
    ServiceListener,
    Zeroconf,
)

log = logging.getLogger(__name__)
SERVICE = "_kestrel._tcp.local."
PIN_DIGITS = 16


def announce(port: int, pin: str, host: str) -> Announcer | None:
    """Announce the receiver, or None if this network will not carry mDNS (devices still reach
    the console at their configured addresses)."""
    try:
        return Announcer(port, pin, host)
    except (OSError, ValueError) as exc:
        log.warning("not announcing the receiver on mDNS: %s", exc)
        return None


class Announcer:
    """Registers the receiver under `_kestrel._tcp` until `close()`."""

    def __init__(self, port: int, pin: str, host: str = "0.0.0.0") -> None:
        addresses = _addresses(host)
        self._zeroconf = Zeroconf(interfaces=addresses if host not in ("", "0.0.0.0")
                                  else _all(), ip_version=IPVersion.V4Only)
        name = f"Kestrel console {uuid.uuid4().hex[:8]}.{SERVICE}"
        self._info = ServiceInfo(SERVICE, name, port=port,
                                 addresses=[socket.inet_aton(a) for a in addresses],
                                 properties={"pin": pin[:PIN_DIGITS], "v": "1"},
                                 server=f"kestrel-{uuid.uuid4().hex[:8]}.local.")
        self._zeroconf.register_service(self._info)

    def close(self) -> None:
        self._zeroconf.unregister_service(self._info)
        self._zeroconf.close()


def discover(pin: str, timeout_s: float = 3.0, interfaces: Sequence[str] | None = None,
             accepts: Callable[[str], bool] | None = None) -> list[str]:
    """`HOST:PORT` of announced consoles whose pin digits match `pin` (or that `accepts` the
    announced digits: a typed code carries only 60 bits of the pin), within `timeout_s`."""
    accepts = accepts or (lambda digits: digits == pin[:PIN_DIGITS])
    zeroconf = Zeroconf(interfaces=list(interfaces) if interfaces else _all(),
                        ip_version=IPVersion.V4Only)
    listener = _Collector()
    try:
        ServiceBrowser(zeroconf, SERVICE, listener)
        deadline = time.monotonic() + timeout_s
        found: list[str] = []
        while time.monotonic() < deadline:
            time.sleep(0.2)
            for name in listener.take():
                info = zeroconf.get_service_info(SERVICE, name, timeout=1000)
                if info is None or info.port is None:
                    continue
                digits = ((info.properties or {}).get(b"pin") or b"").decode("ascii", "replace")
                if not accepts(digits):
                    continue  # another school's console, or a rogue one: say nothing to it
                found.extend(f"{a}:{info.port}" for a in info.parsed_addresses())
            if found:
                return list(dict.fromkeys(found))
        return []
    finally:
        zeroconf.close()


def console_addresses(configured: Sequence[str], discovered: Sequence[str]) -> list[str]:
    """The order a device tries: its configured addresses, then what mDNS suggested."""
    return list(dict.fromkeys([*configured, *discovered]))


class _Collector(ServiceListener):
    def __init__(self) -> None:
        self._names: list[str] = []

    def take(self) -> list[str]:
        names, self._names = self._names, []
        return names

    def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self._names.append(name)

    def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self._names.append(name)

    def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        """A console that goes away is simply not tried."""


def _addresses(host: str) -> list[str]:
    """The IPv4 addresses a receiver bound to `host` answers on (all of them for 0.0.0.0)."""
    if host and host != "0.0.0.0":
        return [host]
    found = sorted({ip.ip for adapter in ifaddr.get_adapters() for ip in adapter.ips
                    if isinstance(ip.ip, str)})
    return found or ["127.0.0.1"]


def _all() -> InterfaceChoice:
    return InterfaceChoice.All
