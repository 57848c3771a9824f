"""``python -m simulator --port N [--scenario FILE] [--speed X]``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import ssl
import sys

from aiohttp import web

from .app import create_app
from .clock import RealClock
from .scenario import build_world, default_spec, load_spec, scenario_start


def _speed(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port of the Fleet API (default 8765)")
    parser.add_argument("--scenario", help="scenario file (YAML or JSON); default: the demo")
    parser.add_argument("--speed", type=_speed, default=1.0, help="simulated seconds per real second")
    parser.add_argument("--proxy-port", type=int, help="also serve a tesla-http-proxy on this port")
    parser.add_argument("--tls-cert", help="certificate for the proxy (TLS is mandatory there)")
    parser.add_argument("--tls-key", help="private key for the proxy")
    args = parser.parse_args(argv)
    # Checked here, before anything listens, rather than half-way through serve().
    if args.proxy_port and not (args.tls_cert and args.tls_key):
        parser.error("--proxy-port needs --tls-cert and --tls-key")
    return args


async def serve(args: argparse.Namespace) -> None:
    """Serve until interrupted (Ctrl-C) or terminated (SIGTERM), then close the sockets."""
    spec = load_spec(args.scenario) if args.scenario else default_spec()
    world = build_world(spec, RealClock(speed=args.speed, start=scenario_start(spec)))
    stop = asyncio.Event()
    with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    runners: list[web.AppRunner] = []
    try:
        runner = web.AppRunner(create_app(world, "fleet"), access_log=None)
        runners.append(runner)
        await runner.setup()
        await web.TCPSite(runner, args.host, args.port).start()
        print(f"Tesla Fleet API simulator on http://{args.host}:{args.port}", flush=True)
        if args.proxy_port:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(args.tls_cert, args.tls_key)
            proxy = web.AppRunner(create_app(world, "proxy"), access_log=None)
            runners.append(proxy)
            await proxy.setup()
            await web.TCPSite(proxy, args.host, args.proxy_port, ssl_context=context).start()
            print(f"tesla-http-proxy simulator on https://{args.host}:{args.proxy_port}", flush=True)
        for token, entry in world.tokens.access.items():
            if "." not in token:  # fixed tokens from the scenario, worth printing
                print(f"  access token for {world.accounts[entry.account_id].email}: {token}", flush=True)
        if world.realto is not None:
            # The platform's client credentials are what a re.alto user types in: print them.
            print(f"re.alto simulator on http://{args.host}:{args.port}/api", flush=True)
            for client_id, secret in world.realto.clients.items():
                print(f"  client id {client_id}, client secret {secret}", flush=True)
        await stop.wait()
    finally:
        for item in runners:
            await item.cleanup()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
