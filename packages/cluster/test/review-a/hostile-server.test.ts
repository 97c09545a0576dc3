// Review A: servers that fail in ways a real redis-server cannot be made to (the fake server
// scripts them): a map refresh that finds no usable map, a master that never answers COMMAND.
import { ReplyError } from '@x/resp';
import { startFakeServer } from '@x/test-redis';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';
import { within } from './helpers.js';

describe('a refresh that finds no usable map', () => {
  it('cluster.refresh() rejects with ClusterConnectError (README: "connect() or a refresh found no node with a usable map")', async () => {
    let broken = false;
    const fake = await startFakeServer({
      onCommand: (command) => {
        const name = command[0]?.toUpperCase();
        if (name === 'CLUSTER')
          return broken
            ? new ReplyError('ERR This instance has cluster support disabled')
            : [[0, 16_383, ['127.0.0.1', fake.port, 'id']]];
        if (name === 'COMMAND') return [];
        if (name === 'PING') return 'PONG';
        return 'OK';
      },
    });
    const cluster = await Cluster.connect({ seeds: [fake.url] });
    try {
      broken = true;
      const outcome = await within(cluster.refresh(), 5_000);
      expect(outcome).toMatchObject({
        status: 'rejected',
        reason: { name: 'ClusterConnectError', code: 'ERR_CLUSTER_CONNECT' },
      });
    } finally {
      cluster.destroy();
      await fake.close();
    }
  });
});

describe('a master that never answers COMMAND', () => {
  it('Cluster.connect() settles (CLUSTER SLOTS has its own 2 s limit; COMMAND has none of its own)', async () => {
    const fake = await startFakeServer({
      onCommand: (command) => {
        const name = command[0]?.toUpperCase();
        if (name === 'CLUSTER') return [[0, 16_383, ['127.0.0.1', fake.port, 'id']]];
        if (name === 'COMMAND') return undefined; // silent
        if (name === 'PING') return 'PONG';
        return 'OK';
      },
    });
    try {
      // readTimeoutMs: 0 is "no read limit" for the node connections (blocking-heavy users set
      // it); connect() has no time limit or signal of its own.
      const connecting = Cluster.connect({ seeds: [fake.url], readTimeoutMs: 0 });
      const outcome = await within(connecting, 8_000);
      if (outcome.status === 'fulfilled') outcome.value.destroy();
      expect(outcome.status).not.toBe('pending');
    } finally {
      await fake.close();
    }
  }, 15_000);
});
