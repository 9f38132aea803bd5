"""A Python `websockets` client for wsstream's interop tests (tests/tests/interop/).

    python py_client.py [options] URL SCENARIO

Prints `OPEN <subprotocol or -> <Sec-WebSocket-Extensions or ->` once connected, a line per
step, and `CLOSED <code> <reason>` with the Close it received (`CLOSED 1006 -` without one).
Exits 0 when every step went as expected, 1 (after `ERROR <what>`) otherwise.

SCENARIO
    echo:M,M,...       sends each message M, waits for it to come back unchanged (`ECHO M`),
                       then closes with 1000. M is tN (N bytes of patterned ASCII text), bN (N
                       patterned bytes), rN (N random bytes, the same for every rN of a run) or
                       u (a short text with multi-byte characters)
    close:CODE:REASON  closes at once with CODE and REASON
    wait               waits for the server to close

options
    --protocols a,b    the subprotocols offered
    --cafile PEM       the certificates to trust for wss (default: the system's)
    --deflate SPEC     permessage-deflate: `off`, `default` (websockets' default offer) or
                       comma-separated ClientPerMessageDeflateFactory settings:
                       server_no_context_takeover, client_no_context_takeover,
                       server_max_window_bits=N, client_max_window_bits=N (default: off)
"""

import argparse
import asyncio
import os
import ssl
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

UTF8_SAMPLE = "h\u00e9llo w\u00f6rld \u2713 \U0001f389"


def say(*words):
    print(*words, flush=True)


def pattern(kind, n):
    """The patterned message of the Rust tests (interop/peer.rs `pattern`)."""
    if kind == "t":
        period = bytes(ord("a") + (i * 7 + n) % 26 for i in range(26))
    else:
        period = bytes((i * 7 + n) % 251 for i in range(251))
    data = (period * (n // len(period) + 1))[:n]
    return data.decode() if kind == "t" else data


def deflate_settings(spec):
    """`connect` keyword arguments for a --deflate SPEC."""
    if spec == "off":
        return {"compression": None}
    if spec == "default":
        return {"compression": "deflate"}
    settings = {}
    for item in filter(None, spec.split(",")):
        if item == "plain":
            continue
        name, _, value = item.partition("=")
        settings[name] = int(value) if value else True
    return {"compression": None, "extensions": [ClientPerMessageDeflateFactory(**settings)]}


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("scenario")
    parser.add_argument("--protocols", default="")
    parser.add_argument("--cafile")
    parser.add_argument("--deflate", default="off")
    args = parser.parse_args()

    context = None
    if args.url.startswith("wss:"):
        context = ssl.create_default_context(cafile=args.cafile)
    randoms = {}
    ok = True
    async with connect(
        args.url,
        subprotocols=[p for p in args.protocols.split(",") if p] or None,
        ssl=context,
        max_size=None,
        max_queue=4,
        open_timeout=10,
        close_timeout=5,
        **deflate_settings(args.deflate),
    ) as ws:
        extensions = ws.response.headers.get("Sec-WebSocket-Extensions") or "-"
        say("OPEN", ws.subprotocol or "-", extensions)
        try:
            if args.scenario.startswith("echo:"):
                for spec in args.scenario[5:].split(","):
                    if spec == "u":
                        message = UTF8_SAMPLE
                    elif spec[0] == "r":
                        message = randoms.setdefault(spec, os.urandom(int(spec[1:])))
                    else:
                        message = pattern(spec[0], int(spec[1:]))
                    await ws.send(message)
                    back = await ws.recv()
                    if back != message:
                        say("ERROR", spec, "came back as", type(back).__name__, len(back))
                        ok = False
                        break
                    say("ECHO", spec)
                await ws.close()
            elif args.scenario.startswith("close:"):
                _, code, reason = args.scenario.split(":", 2)
                await ws.close(int(code), reason)
            elif args.scenario == "wait":
                async for message in ws:
                    say("MESSAGE", len(message))
            else:
                raise SystemExit(f"unknown scenario {args.scenario}")
        except ConnectionClosed:
            pass
        await ws.wait_closed()
        rcvd = ws.protocol.close_rcvd
        say("CLOSED", *((rcvd.code, rcvd.reason or "-") if rcvd else (1006, "-")))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except SystemExit:
        raise
    except BaseException as e:  # noqa: BLE001 - any failure is reported to the test
        say("ERROR", repr(e))
        sys.exit(1)
