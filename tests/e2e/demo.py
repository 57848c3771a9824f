"""The demo behind ``scripts/develop``: the simulator and a real Home Assistant, set up.

``python -m tests.e2e.demo [--port 8123] [--sim-port 8765] [--config DIR]``

Starts the simulator with the demo scenario, starts ``hass -c config/`` with the
integration linked in, onboards it (owner ``demo`` / ``demo-password``) and adds the
demo's accounts through the config flow, all over Home Assistant's HTTP API: the Tesla
account as a new user adds one (application credentials, sign in with Tesla, sign
commands here with Home Assistant's own address as the domain, pair the key on the
simulator's stand-in for the Tesla app), and the re.alto account.  Last, it shows a
charging plan: a simulated Nord Pool price sensor, the entry's price option pointing at
it, and the ready-by planner on for the Model 3, 80 % by 07:00 (``demo_plan.py``).  Then
it waits, writing the price sensor again every few minutes; Ctrl-C stops Home Assistant
(gracefully, so it saves its state) and the simulator.

A second run finds the owner and the accounts already there.  The simulator starts
afresh, so it is first given back what Tesla would remember (``tesla_memory.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path
import signal
import sys
import time
from types import FrameType

import aiohttp

from .demo_plan import forget_written_plans, keep_prices, show_plan, wake
from .harness import (
    DEMO_NAME,
    DEMO_PASSWORD,
    DEMO_SCENARIO,
    DEMO_USER,
    ENV_TESLA_AUTH_URL,
    ROOT,
    Api,
    Car,
    HomeAssistant,
    ProcessFailed,
    Simulator,
    SimulatorAdmin,
    Tokens,
    WebSocket,
    add_demo_entries,
    cars,
    elapsed_since,
    link_integration,
    port_is_free,
    sign_in,
)
from .tesla_memory import TeslaMemory, recall, register_again, scenario_for

PLAN_CAR, PLAN_VIN = "Model 3", "LRW3E7EK4NC000001"
"""The car the demo plans for (the scenario's Model 3)."""
PRICES_EVERY = 300.0
"""Seconds between writes of the simulated price sensor."""


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class Stop(Exception):
    """Ctrl-C, SIGTERM or SIGHUP: stop everything."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/develop", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant's port (default 8123)")
    parser.add_argument("--sim-port", type=int, default=8765, help="the simulator's port (default 8765)")
    parser.add_argument(
        "--config",
        type=Path,
        default=ROOT / "config",
        help="Home Assistant's config folder (default config/)",
    )
    return parser.parse_args(argv)


async def set_up(hass: HomeAssistant, sim: Simulator, memory: TeslaMemory | None) -> Tokens:
    async with aiohttp.ClientSession() as session:
        await sim.wait_ready(session)
        say(_indent(sim.child.output().strip()))
        if memory is not None:
            # The simulator forgets everything when it stops; Tesla does not.
            remembered = "the sign-in"
            if await register_again(session, sim.url, memory):
                remembered += f", the domain {memory.domain} with its key, the key paired with the cars"
            say("  given back what Tesla remembers of the last run (the simulator starts afresh):")
            say(f"    {remembered}")
        # Read at set-up, the Model 3 is planned for as soon as the planner is on.
        await wake(SimulatorAdmin(session, sim.url), PLAN_VIN)
        say(f"  the {PLAN_CAR} is awake: its owner opened the Tesla app (it sleeps again in 15 minutes)")
        say("Starting Home Assistant ...")
        hass.start()
        await hass.wait_ready(session)
        tokens, onboarded = await sign_in(
            session, hass.url, name=DEMO_NAME, username=DEMO_USER, password=DEMO_PASSWORD
        )
        say(f"  onboarding: {'owner created' if onboarded else 'already done'} (user {DEMO_USER})")
        api = Api(session, hass.url, tokens.access_token)
        await api.wait_running()
        for line in await add_demo_entries(api, sim.url):
            say(f"  {line}")
        async with await api.websocket() as ws:
            found = await _wait_for_cars(api, ws)
            for car in sorted(found):
                say(f"  car: {car}")
            if PLAN_CAR in found:
                say(f"Planning the {PLAN_CAR}'s charging on simulated prices ...")
                plan = await show_plan(api, SimulatorAdmin(session, sim.url), found[PLAN_CAR], PLAN_VIN)
                say(f"  charging plan: {plan['state']}: {plan['attributes'].get('explanation', '')}")
        return tokens


async def _wait_for_cars(api: Api, ws: WebSocket) -> dict[str, Car]:
    """The cars by name once every entry has loaded (a few seconds after it was added)."""
    async with asyncio.timeout(60):
        while True:
            entries = await api.entries()
            if entries and all(e["state"] in ("loaded", "setup_error", "setup_retry") for e in entries):
                break
            await asyncio.sleep(0.5)
    for entry in entries:
        if entry["state"] != "loaded":
            say(f"  warning: {entry['title']} is {entry['state']} (see config/home-assistant.log)")
    return await cars(ws)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config: Path = args.config.resolve()
    for name, port in (("Home Assistant", args.port), ("the simulator", args.sim_port)):
        if not port_is_free(port):
            say(f"error: port {port} for {name} is in use (is a demo running already?).")
            say("Stop it, or choose other ports with --port and --sim-port.")
            return 1
    if not (config / "configuration.yaml").is_file():
        say(f"error: {config}/configuration.yaml is missing")
        return 1
    link_integration(config)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_stop)
    start = time.monotonic()
    sim: Simulator | None = None
    hass: HomeAssistant | None = None
    status = 0
    try:
        # Read before anything starts: Home Assistant's stores as the last run left them.
        try:
            memory = recall(config)
        except (OSError, ValueError, KeyError, TypeError) as err:
            say(f"warning: could not read the last run's Tesla set-up ({err!r}); the simulator starts empty")
            memory = None
        scenario = scenario_for(memory, config) if memory is not None else DEMO_SCENARIO
        if memory is not None and forget_written_plans(config):
            say(
                "The simulator's cars start without the charge schedules of the last run: they are written again."
            )
        sim = Simulator(args.sim_port, config / "simulator.log", scenario=scenario)
        say(f"Starting the simulator (log: {_rel(sim.child.log_path)}) ...")
        # configuration.yaml reads the port from DEMO_HASS_PORT (default 8123); Tesla
        # sign-in ("Tesla account" in the Add integration dialog) and the pairing link go
        # to the simulator.
        env = {ENV_TESLA_AUTH_URL: sim.url, "DEMO_HASS_PORT": str(args.port)}
        hass = HomeAssistant(config, args.port, env=env)
        tokens = asyncio.run(set_up(hass, sim, memory))
        say()
        say(f"Home Assistant is ready ({elapsed_since(start)}): {hass.url}")
        say(f"  log in as: {DEMO_USER} / {DEMO_PASSWORD}")
        say(f"  its log:   {_rel(config / 'home-assistant.log')}")
        say("Press Ctrl-C to stop Home Assistant and the simulator.")
        prices_at = time.monotonic() + PRICES_EVERY
        while True:
            for child in (hass.child, sim.child):
                assert child is not None
                child.check_running()
            if time.monotonic() >= prices_at:
                prices_at = time.monotonic() + PRICES_EVERY
                _keep_prices(hass.url, tokens)
            time.sleep(0.5)
    except Stop:
        say()
    except (ProcessFailed, AssertionError, aiohttp.ClientError, TimeoutError) as err:
        say(f"error: {err}")
        status = 1
    finally:
        # Ctrl-C again while stopping would leave things running: finish first.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        if hass is not None and hass.child is not None:
            say("Stopping Home Assistant ...")
            hass.stop()
        if sim is not None:
            say("Stopping the simulator ...")
            sim.stop()
        say("Stopped.")
    return status


def _keep_prices(url: str, tokens: Tokens) -> None:
    """The price sensor written again; a Home Assistant restarting from the frontend
    misses a write or two and says nothing of it here."""
    with contextlib.suppress(aiohttp.ClientError, TimeoutError, OSError):
        asyncio.run(keep_prices(url, tokens.refresh_token))


def _rel(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


if __name__ == "__main__":
    sys.exit(main())
