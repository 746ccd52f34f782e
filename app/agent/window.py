"""The active window: its title, application and (where a browser says) URL.

On X11 this reads the EWMH properties through python-xlib (no subprocess per check; atoms are
interned once per connection). Other platforms report None until their backends are built
(Windows: GetForegroundWindow; macOS: NSWorkspace) — the agent then records "unknown window"
rather than guessing.

`active_window` costs a handful of X round trips (~1.5 ms of CPU); `focus_stamp` is the one (or
two) round trips that say *whether* the focus moved, so a caller asking at every keystroke looks
the window up only when it changed.

Threading: each thread that asks gets its own X connection (Xlib displays are not thread-safe).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

AGENT_APPS = frozenset({"kestrel", "kestrel-agent"})  # the agent never watches itself


@dataclass(frozen=True)
class WindowInfo:
    id: str
    title: str
    app: str
    url: str | None = None
    frame: tuple[int, int, int, int] | None = None  # x, y, width, height on the screen

    @property
    def is_agent(self) -> bool:
        return self.app.lower() in AGENT_APPS


UNKNOWN = WindowInfo("unknown", "", "")
_local = threading.local()


def active_window() -> WindowInfo:
    """The focused window, or UNKNOWN where the platform does not say."""
    if not os.environ.get("DISPLAY"):
        return UNKNOWN
    try:
        return _x11_active()
    except Exception:  # a window manager without EWMH, a display gone away
        _local.__dict__.pop("display", None)
        return UNKNOWN


def focus_stamp() -> str | None:
    """Where the focus is, cheaply: equal stamps mean the window `active_window` would report
    has not changed (one X round trip under an EWMH window manager, two without). None where
    the platform does not say — then only `active_window` can tell."""
    if not os.environ.get("DISPLAY"):
        return None
    try:
        display = _display()
        active = _active_property(display)
        if active:
            return f"active:{active}"
        focus = display.get_input_focus().focus  # what `_x11_active` falls back on
        return f"focus:{focus if isinstance(focus, int) else focus.id}"
    except Exception:  # a display gone away: `active_window` says UNKNOWN and reconnects
        _local.__dict__.pop("display", None)
        return None


def _active_property(display: Any) -> int:
    """The EWMH active window's id; 0 when there is none (or no EWMH window manager)."""
    root = display.screen().root
    active = root.get_full_property(display.get_atom("_NET_ACTIVE_WINDOW"), 0)
    return int(active.value[0]) if active is not None and active.value else 0


def _x11_active() -> WindowInfo:
    display = _display()
    root = display.screen().root
    active = _active_property(display)
    if active:
        window = display.create_resource_object("window", active)
    else:  # no EWMH window manager (a kiosk, a bare X server): the window with input focus
        window = _named_ancestor(display.get_input_focus().focus, root)
        if window is None:
            return UNKNOWN
    name = window.get_full_property(display.get_atom("_NET_WM_NAME"),
                                    display.get_atom("UTF8_STRING"))
    title = _text(name.value) if name is not None else _text(window.get_wm_name() or "")
    wm_class = window.get_wm_class() or ("", "")
    geometry = window.get_geometry()
    origin = window.translate_coords(root, 0, 0)
    frame = (-int(origin.x), -int(origin.y), int(geometry.width), int(geometry.height))
    return WindowInfo(str(window.id), title[:500], str(wm_class[-1])[:200], None, frame)


def _named_ancestor(window: Any, root: Any) -> Any:
    """The focused window or the nearest parent that has a name (toolkits focus a child)."""
    while window is not None and not isinstance(window, int) and window.id != root.id:
        if window.get_wm_name() or window.get_wm_class():
            return window
        window = window.query_tree().parent
    return None


def _display() -> Any:
    display = getattr(_local, "display", None)
    if display is None:
        from Xlib import display as xdisplay  # X11 only; imported where it is used

        display = _local.display = xdisplay.Display()
    return display


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
