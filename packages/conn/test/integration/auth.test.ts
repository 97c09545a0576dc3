import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Push, ReplyError } from '@x/resp';
import { freePort, type RedisServer, startRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dial } from '../../src/index.js';

const text = (value: string) => Buffer.from(value);

describe('authentication', () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedisServer({
      args: ['--requirepass', 'sekret', '--user', 'alice', 'on', '>wonderland', '~*', '+@all'],
    });
  });
  afterAll(() => server?.stop());

  it('authenticates with a password, RESP2 and RESP3', async () => {
    for (const protocol of [2, 3] as const) {
      const conn = await dial(server.url, { password: 'sekret', protocol });
      expect(await conn.do('PING')).toBe('PONG');
      await conn.close();
    }
  });

  it('authenticates an ACL user from the URL, RESP2 and RESP3', async () => {
    for (const protocol of [2, 3] as const) {
      const conn = await dial(`redis://alice:wonderland@127.0.0.1:${server.port}`, { protocol });
      expect(await conn.do('ACL', 'WHOAMI')).toEqual(text('alice'));
      await conn.close();
    }
  });

  it('reads user info without a colon as the password (redis-cli, Redigo), RESP2 and RESP3', async () => {
    for (const protocol of [2, 3] as const) {
      const conn = await dial(`redis://sekret@127.0.0.1:${server.port}`, { protocol });
      expect(await conn.do('ACL', 'WHOAMI')).toEqual(text('default'));
      await conn.close();
    }
  });

  it('connects to the local machine from a URL without a host', async () => {
    const conn = await dial(`redis://:sekret@:${server.port}/3`);
    expect(String(await conn.do('CLIENT', 'INFO'))).toContain('db=3');
    await conn.close();
  });

  it('rejects dial with the server error on a wrong password and closes the socket', async () => {
    const admin = await dial(server.url, { password: 'sekret' });
    const before = String(await admin.do('CLIENT', 'LIST'))
      .trim()
      .split('\n').length;
    for (const protocol of [2, 3] as const) {
      const failure = await dial(server.url, { password: 'wrong', protocol }).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(ReplyError);
      expect((failure as ReplyError).code).toBe('WRONGPASS');
      expect((failure as Error).message).not.toContain('wrong');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = String(await admin.do('CLIENT', 'LIST'))
      .trim()
      .split('\n').length;
    expect(after).toBe(before);
    await admin.close();
  });

  it('does the RESP3 handshake in one round trip with name and database', async () => {
    const conn = await dial(server.url, {
      password: 'sekret',
      protocol: 3,
      clientName: 'r3',
      database: 2,
    });
    const info = String(await conn.do('CLIENT', 'INFO'));
    expect(info).toContain('name=r3');
    expect(info).toContain('db=2');
    expect(info).toContain('resp=3');
    expect(await conn.do('HGETALL', 'none')).toEqual(new Map());
    await conn.close();
  });

  it('never shows the password when a connection is inspected', async () => {
    const conn = await dial(`redis://:sekret@127.0.0.1:${server.port}`);
    expect(inspect(conn, { showHidden: true, depth: 5 })).not.toContain('sekret');
    await conn.close();
  });
});

describe('RESP3 push frames', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(() => server?.stop());

  it('routes pushes to listeners and keeps commands working on the same connection', async () => {
    const subscriber = await dial(server.url, { protocol: 3 });
    const publisher = await dial(server.url);
    const pushes: Push[] = [];
    subscriber.onPush((push) => pushes.push(push));
    expect(await subscriber.do('SUBSCRIBE', 'news', 'sport')).toBeNull();
    expect(await subscriber.do('SET', 'k', 'v')).toBe('OK');
    expect(await publisher.do('PUBLISH', 'news', 'hello')).toBe(1);
    expect(await subscriber.do('GET', 'k')).toEqual(text('v'));
    await expect.poll(() => pushes.length).toBe(3);
    expect(pushes[0]).toEqual(new Push([text('subscribe'), text('news'), 1]));
    expect(pushes[2]).toEqual(new Push([text('message'), text('news'), text('hello')]));
    await Promise.all([subscriber.close(), publisher.close()]);
  });

  it('delivers client-side caching invalidations as pushes', async () => {
    const conn = await dial(server.url, { protocol: 3 });
    const writer = await dial(server.url);
    const pushes: Push[] = [];
    conn.onPush((push) => pushes.push(push));
    await conn.do('CLIENT', 'TRACKING', 'ON');
    await conn.do('GET', 'tracked');
    await writer.do('SET', 'tracked', '1');
    await expect.poll(() => pushes.length).toBe(1);
    expect(pushes[0]?.kind).toBe('invalidate');
    await Promise.all([conn.close(), writer.close()]);
  });
});

describe('TLS', () => {
  let server: RedisServer;
  let directory: string;
  let ca: Buffer;
  let tlsPort: number;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'x-tls-'));
    const file = (name: string) => join(directory, name);
    const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=Test CA',
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.crt'),
    );
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-keyout',
      file('server.key'),
      '-out',
      file('server.csr'),
    );
    openssl(
      'x509',
      '-req',
      '-in',
      file('server.csr'),
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      file('server.crt'),
    );
    ca = readFileSync(file('ca.crt'));
    tlsPort = await freePort();
    server = await startRedisServer({
      args: [
        '--tls-port',
        String(tlsPort),
        '--tls-cert-file',
        file('server.crt'),
        '--tls-key-file',
        file('server.key'),
        '--tls-ca-cert-file',
        file('ca.crt'),
        '--tls-auth-clients',
        'no',
      ],
    });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('connects with rediss:// and a trusted CA', async () => {
    const conn = await dial(`rediss://localhost:${tlsPort}`, { tls: { ca } });
    expect(await conn.do('PING')).toBe('PONG');
    await conn.close();
  });

  it('connects with valkeys://, which is TLS too', async () => {
    const conn = await dial(`valkeys://localhost:${tlsPort}`, { tls: { ca } });
    expect(await conn.do('PING')).toBe('PONG');
    await conn.close();
  });

  it('verifies the certificate by default', async () => {
    const failure = await dial(`rediss://localhost:${tlsPort}`).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'ConnectionError' });
    expect(String((failure as Error).message)).toMatch(/certificate/i);
  });

  it('skips verification only when told to', async () => {
    const conn = await dial(`rediss://127.0.0.1:${tlsPort}`, {
      tls: { rejectUnauthorized: false },
    });
    expect(await conn.do('PING')).toBe('PONG');
    await conn.close();
  });
});
