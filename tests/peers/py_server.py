"""A Python `websockets` server for wsstream's interop tests (tests/tests/interop/).

    python py_server.py [options] MODE

Listens on 127.0.0.1 (a free port unless --port) and prints `LISTENING <port>` once ready. For
each connection it prints `OPEN <subprotocol or -> <Sec-WebSocket-Extensions or ->` and, when
it ends, `CLOSED <code> <reason>` (the Close it received; `CLOSED 1006 -` without one). Serves
until killed.

MODE
    echo               sends every message back as it came, text as text, binary as binary
    close:CODE:REASON  closes each connection at once with CODE and REASON

options
    --port N              the port (default 0: a free one)
    --protocols a,b       the subprotocols supported, in order of preference (default none)
    --tls CERT KEY        serve wss with this PEM certificate chain and key
    --deflate SPEC        permessage-deflate: `off`, `default` (websockets' default: 12-bit
                          windows) or comma-separated ServerPerMessageDeflateFactory settings:
                          server_no_context_takeover, client_no_context_takeover,
                          server_max_window_bits=N, client_max_window_bits=N, or `plain` for
                          none of them (default: default)
"""

import argparse
import asyncio
import ssl
import sys

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory


def say(*words):
    print(*words, flush=True)


def deflate_settings(spec):
    """`serve` keyword arguments for a --deflate SPEC."""
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
    return {"compression": None, "extensions": [ServerPerMessageDeflateFactory(**settings)]}


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--protocols", default="")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--deflate", default="default")
    args = parser.parse_args()

    async def handler(ws):
        extensions = ws.response.headers.get("Sec-WebSocket-Extensions") or "-"
        say("OPEN", ws.subprotocol or "-", extensions)
        try:
            if args.mode == "echo":
                async for message in ws:
                    await ws.send(message)
            elif args.mode.startswith("close:"):
                _, code, reason = args.mode.split(":", 2)
                await ws.close(int(code), reason)
            else:
                raise SystemExit(f"unknown mode {args.mode}")
        except ConnectionClosed:
            pass
        await ws.wait_closed()
        rcvd = ws.protocol.close_rcvd
        say("CLOSED", *((rcvd.code, rcvd.reason or "-") if rcvd else (1006, "-")))

    context = None
    if args.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*args.tls)

    async with serve(
        handler,
        "127.0.0.1",
        args.port,
        subprotocols=[p for p in args.protocols.split(",") if p] or None,
        ssl=context,
        max_size=None,
        max_queue=4,
        **deflate_settings(args.deflate),
    ) as server:
        say("LISTENING", server.sockets[0].getsockname()[1])
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
