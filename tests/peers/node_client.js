// A Node `ws` client for wsstream's interop tests (tests/tests/interop/).
//
//     node node_client.js [options] URL SCENARIO   (with NODE_PATH pointing at ws's node_modules)
//
// Prints `OPEN <subprotocol or -> <Sec-WebSocket-Extensions or ->` once connected, a line per step, and
// `CLOSED <code> <reason or ->` with what ws reports of the server's Close. Exits 0 when every
// step went as expected, 1 (after `ERROR <what>`) otherwise.
//
// SCENARIO (as py_client.py)
//     echo:M,M,...       sends each message M, waits for it to come back unchanged (`ECHO M`),
//                        then closes with 1000. M is tN (N bytes of patterned ASCII text), bN
//                        (N patterned bytes), rN (N random bytes) or u (multi-byte text)
//     close:CODE:REASON  closes at once with CODE and REASON
//     wait               waits for the server to close
//
// options
//     --protocols a,b    the subprotocols offered
//     --deflate          offer permessage-deflate (default: off)
'use strict';

const crypto = require('crypto');
const { WebSocket } = require('ws');

const UTF8_SAMPLE = 'h\u00e9llo w\u00f6rld \u2713 \u{1f389}';

const args = process.argv.slice(2);
let protocols = [];
let deflate = false;
const positional = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--protocols') protocols = args[++i].split(',').filter(Boolean);
  else if (args[i] === '--deflate') deflate = true;
  else positional.push(args[i]);
}
const [url, scenario] = positional;
if (!scenario) {
  console.error('usage: node_client.js [--protocols a,b] [--deflate] URL SCENARIO');
  process.exit(2);
}

// The patterned message of the Rust tests (interop/peer.rs `pattern`).
function pattern(kind, n) {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    out[i] = kind === 't' ? 97 + ((i * 7 + n) % 26) : (i * 7 + n) % 251;
  }
  return kind === 't' ? out.toString() : out;
}

let ok = true;
const fail = (what) => {
  console.log(`ERROR ${what}`);
  ok = false;
};

const ws = new WebSocket(url, protocols, { maxPayload: 64 << 20, perMessageDeflate: deflate });
let agreedExtensions = '-';
ws.on('upgrade', (res) => (agreedExtensions = res.headers['sec-websocket-extensions'] || '-'));
const inbox = [];
let waiting = null;
ws.on('message', (data, isBinary) => {
  const message = isBinary ? data : data.toString();
  if (waiting) {
    const w = waiting;
    waiting = null;
    w(message);
  } else {
    inbox.push(message);
  }
});
const next = () =>
  inbox.length ? Promise.resolve(inbox.shift()) : new Promise((resolve) => (waiting = resolve));
ws.on('error', (e) => fail(String(e)));
ws.on('close', (code, reason) => {
  console.log(`CLOSED ${code} ${reason.toString() || '-'}`);
  process.exit(ok ? 0 : 1);
});

ws.on('open', async () => {
  console.log(`OPEN ${ws.protocol || '-'} ${agreedExtensions}`);
  if (scenario.startsWith('echo:')) {
    const randoms = {};
    for (const spec of scenario.slice(5).split(',')) {
      let message;
      if (spec === 'u') message = UTF8_SAMPLE;
      else if (spec[0] === 'r') message = randoms[spec] ??= crypto.randomBytes(Number(spec.slice(1)));
      else message = pattern(spec[0], Number(spec.slice(1)));
      ws.send(message, { binary: typeof message !== 'string' });
      const back = await next();
      const same =
        typeof message === 'string' ? back === message : Buffer.isBuffer(back) && back.equals(message);
      if (!same) {
        fail(`${spec} came back as ${typeof back} of ${back.length}`);
        break;
      }
      console.log(`ECHO ${spec}`);
    }
    ws.close(1000);
  } else if (scenario.startsWith('close:')) {
    const [, code, ...reason] = scenario.split(':');
    ws.close(Number(code), reason.join(':'));
  } else if (scenario === 'wait') {
    // Messages are ignored; the 'close' handler reports.
  } else {
    fail(`unknown scenario ${scenario}`);
    ws.terminate();
  }
});
