// A Node `ws` server for wsstream's interop tests (tests/tests/interop/).
//
//     node node_server.js [options] MODE        (with NODE_PATH pointing at ws's node_modules)
//
// Listens on 127.0.0.1 (a free port unless --port) and prints `LISTENING <port>` once ready.
// For each connection it prints `OPEN <subprotocol or -> <Sec-WebSocket-Extensions or ->` and,
// when it ends, `CLOSED <code> <reason or ->` (what ws reports: the peer's Close, 1005 for an
// empty one, 1006 without one). Serves until killed.
//
// MODE
//     echo               sends every message back as it came, text as text, binary as binary
//     close:CODE:REASON  closes each connection at once with CODE and REASON
//
// options
//     --port N           the port (default 0: a free one)
//     --protocols a,b    the subprotocols supported, in order of preference (default none)
//     --deflate          accept permessage-deflate (default: off, as ws)
'use strict';

const { WebSocketServer } = require('ws');

const args = process.argv.slice(2);
let port = 0;
let protocols = [];
let deflate = false;
let mode = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--port') port = Number(args[++i]);
  else if (args[i] === '--protocols') protocols = args[++i].split(',').filter(Boolean);
  else if (args[i] === '--deflate') deflate = true;
  else mode = args[i];
}
if (!mode) {
  console.error('usage: node_server.js [--port N] [--protocols a,b] [--deflate] MODE');
  process.exit(2);
}

const server = new WebSocketServer({
  host: '127.0.0.1',
  port,
  maxPayload: 64 << 20,
  perMessageDeflate: deflate,
  handleProtocols: (offered) => protocols.find((p) => offered.has(p)) ?? false,
});

server.on('listening', () => console.log(`LISTENING ${server.address().port}`));
server.on('error', (e) => {
  console.error(`server error: ${e}`);
  process.exit(1);
});
// The extensions as the response states them, for the 'connection' handler.
server.on('headers', (headers, req) => {
  const line = headers.find((h) => /^sec-websocket-extensions:/i.test(h));
  req.agreedExtensions = line ? line.slice(line.indexOf(':') + 1).trim() : '-';
});
server.on('connection', (ws, req) => {
  console.log(`OPEN ${ws.protocol || '-'} ${req.agreedExtensions}`);
  ws.on('error', (e) => console.error(`socket error: ${e}`));
  ws.on('close', (code, reason) => console.log(`CLOSED ${code} ${reason.toString() || '-'}`));
  if (mode === 'echo') {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  } else if (mode.startsWith('close:')) {
    const [, code, ...reason] = mode.split(':');
    ws.close(Number(code), reason.join(':'));
  } else {
    console.error(`unknown mode ${mode}`);
    process.exit(2);
  }
});
