"""Headless Chromium driven over the Chrome DevTools Protocol, with aiohttp only.

Enough of the protocol to use Home Assistant's frontend as a person would: load a
page, type into fields, press keys, read what is rendered (through the shadow DOM of
its web components) and take a screenshot.
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
import shutil
from typing import Any

import aiohttp

from .harness import Child, ProcessFailed, eventually

# Without the networking switches Chromium keeps reaching for Google's services, and
# on a closed network those attempts fail loudly and slow it down.
FLAGS = (
    "--headless",
    "--no-sandbox",  # runs as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--window-size=1280,1400",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",  # it picks a port and writes it to DevToolsActivePort
)

# Every text node of the page, in order, through open shadow roots (Home Assistant's
# frontend is made of web components); style and script contents are skipped.
DEEP_TEXT = """
(root => {
  const out = [];
  const walk = node => {
    if (node.nodeType === Node.TEXT_NODE) {
      const text = node.textContent.trim();
      if (text) out.push(text);
      return;
    }
    if (node.nodeName === 'STYLE' || node.nodeName === 'SCRIPT') return;
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.childNodes) walk(child);
  };
  walk(root);
  return out;
})(%s)
"""

# The first element matching a CSS selector anywhere, shadow roots included.
DEEP_QUERY = """
const deepQuery = (selector, root = document) => {
  const found = root.querySelector(selector);
  if (found) return found;
  for (const element of root.querySelectorAll('*')) {
    if (element.shadowRoot) {
      const inner = deepQuery(selector, element.shadowRoot);
      if (inner) return inner;
    }
  }
  return null;
};
"""


def _deep(expression: str) -> str:
    """``expression`` evaluated where ``deepQuery`` is defined (a fresh scope each time)."""
    return f"(() => {{ {DEEP_QUERY} return ({expression}); }})()"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class CdpError(AssertionError):
    """The browser answered a command with an error."""


class Browser:
    """A Chromium process and a DevTools connection to its first tab."""

    def __init__(self, executable: str, profile: Path, log_path: Path) -> None:
        self.profile = profile
        self.child = Child(
            "Chromium", [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"], log_path=log_path
        )
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._next_id = 1

    async def connect(self, session: aiohttp.ClientSession, timeout: float = 60.0) -> None:
        port_file = self.profile / "DevToolsActivePort"

        async def port() -> int:
            self.child.check_running()
            assert port_file.is_file(), "no DevToolsActivePort yet"
            text = port_file.read_text().split()
            assert text, "DevToolsActivePort is empty"
            return int(text[0])

        debug_port = await eventually(port, timeout=timeout, what="Chromium's DevTools port", interval=0.2)

        async def page() -> str:
            async with session.get(f"http://127.0.0.1:{debug_port}/json/list") as response:
                targets = await response.json()
            pages = [t for t in targets if t.get("type") == "page"]
            assert pages, f"no page target in {targets}"
            return str(pages[0]["webSocketDebuggerUrl"])

        url = await eventually(page, timeout=timeout, what="Chromium's first tab")
        self._ws = await session.ws_connect(url, max_msg_size=0)
        await self.send("Page.enable")
        await self.send("Runtime.enable")

    async def send(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        """One DevTools command; its result (events that arrive meanwhile are dropped)."""
        assert self._ws is not None, "not connected"
        message_id = self._next_id
        self._next_id += 1
        await self._ws.send_str(json.dumps({"id": message_id, "method": method, "params": params}))
        async with asyncio.timeout(timeout):
            while True:
                message = await self._ws.receive()
                if message.type != aiohttp.WSMsgType.TEXT:
                    raise ProcessFailed(f"DevTools connection closed ({message.type}): {self.child.tail()}")
                data = json.loads(message.data)
                if data.get("id") == message_id:
                    if "error" in data:
                        raise CdpError(f"{method}: {data['error']}")
                    return dict(data.get("result", {}))

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises are awaited)."""
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise CdpError(f"JavaScript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def navigate(self, url: str) -> None:
        await self.send("Page.navigate", url=url)

    async def location(self) -> str:
        return str(await self.evaluate("location.href"))

    async def texts(self, selector: str | None = None) -> list[str]:
        """The rendered text of the page, or of the first element matching ``selector``."""
        root = "document" if selector is None else f"deepQuery({json.dumps(selector)})"
        value = await self.evaluate(_deep(DEEP_TEXT % root))
        return list(value or [])

    async def has(self, selector: str) -> bool:
        return bool(await self.evaluate(_deep(f"!!deepQuery({json.dumps(selector)})")))

    async def type_into(self, selector: str, text: str) -> None:
        """Focus the field and type, as a keyboard would (input events and all)."""
        focused = await self.evaluate(
            _deep(
                f"(el => {{ if (!el) return false; el.focus(); return true; }})(deepQuery({json.dumps(selector)}))"
            )
        )
        assert focused, f"no field {selector}"
        await self.send("Input.insertText", text=text)

    async def press_enter(self) -> None:
        for kind in ("keyDown", "keyUp"):
            await self.send(
                "Input.dispatchKeyEvent",
                type=kind,
                key="Enter",
                code="Enter",
                windowsVirtualKeyCode=13,
                nativeVirtualKeyCode=13,
                text="\r" if kind == "keyDown" else "",
            )

    async def screenshot(self, path: Path) -> bytes:
        data = base64.b64decode((await self.send("Page.captureScreenshot", format="png"))["data"])
        await asyncio.to_thread(_write, path, data)
        return data

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        self.child.stop(timeout=10)
