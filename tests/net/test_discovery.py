"""mDNS on loopback (real python-zeroconf multicast): a device finds its own console by the
pin digits it announces, ignores another console's announcement, and tries configured
addresses first."""

from __future__ import annotations

from app.net.discovery import Announcer, console_addresses, discover

OURS = "a1" * 32
THEIRS = "b2" * 32


def test_a_device_finds_its_console_and_ignores_another_schools() -> None:
    ours = Announcer(8443, OURS, host="127.0.0.1")
    theirs = Announcer(9443, THEIRS, host="127.0.0.1")
    try:
        found = discover(OURS, timeout_s=5, interfaces=["127.0.0.1"])
        assert found == ["127.0.0.1:8443"]
        assert discover("c3" * 32, timeout_s=1.5, interfaces=["127.0.0.1"]) == []
    finally:
        ours.close()
        theirs.close()


def test_configured_addresses_are_tried_before_announced_ones() -> None:
    assert console_addresses(["127.0.0.5:8443"], ["127.0.0.1:8443", "127.0.0.5:8443"]) == [
        "127.0.0.5:8443", "127.0.0.1:8443"]
