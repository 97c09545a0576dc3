// DEFECT: a sentinel given as a rediss:// URL loses the `sentinel.tls` options. dialSentinel
// spreads the shared sentinel options first and the endpoint after, and a rediss:// endpoint
// carries `tls: true`, so `sentinel: { tls: { ca } }` is replaced by `tls: true`: the private CA
// (or servername, client certificate, ...) is dropped and the sentinel's certificate is refused.
// The same sentinel given as host:port with the same `sentinel.tls` is reached. The README says
// `sentinel.tls` is "TLS to the sentinels" and that rediss:// URLs are accepted.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { CommandDecoder, encodeReply } from '@x/resp';
import { type RedisServer, startRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sentinelDial } from '../../src/index.js';

let x: RedisServer;
let server: Server;
let port = 0;
let ca = '';
const sockets: TLSSocket[] = [];
let dir = '';

beforeAll(async () => {
  x = await startRedisServer();
  dir = mkdtempSync(join(tmpdir(), 'sentinel-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: ca }, (socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    const decoder = new CommandDecoder({
      onCommand: (args) => {
        const [name = '', sub = ''] = args.map((a) => String(a).toUpperCase());
        let reply: unknown = [];
        if (name === 'SUBSCRIBE') reply = ['subscribe', '+switch-master', 1];
        else if (sub === 'GET-MASTER-ADDR-BY-NAME') reply = [x.host, String(x.port)];
        socket.write(encodeReply(reply as never, { protocol: 2 }));
      },
    });
    socket.on('data', (data) => decoder.write(data));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server?.close(resolve));
  await x?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const dialWith = async (entry: string) => {
  const dial = sentinelDial({
    sentinels: [entry],
    masterName: 'mymaster',
    connectTimeoutMs: 1_500,
    watchFailovers: false,
    sentinel: { tls: { ca } },
  });
  return dial({ signal: new AbortController().signal }).then(
    (conn) => {
      conn.destroy();
      return 'found';
    },
    (error: unknown) => String(error),
  );
};

it('control: host:port with sentinel.tls { ca } reaches the TLS sentinel', async () => {
  expect(await dialWith(`127.0.0.1:${port}`)).toBe('found');
});

it('rediss:// with sentinel.tls { ca } reaches the same TLS sentinel', async () => {
  // Observed: SentinelError ... 127.0.0.1:<port>: self-signed certificate
  expect(await dialWith(`rediss://127.0.0.1:${port}`)).toBe('found');
});
