// Pub/sub on a real 6-node cluster (3 masters, 3 replicas): shard channels on their slot's master,
// followed through a failover, a killed master and a slot migration; channels and patterns on one
// master, left behind when it dies. Every loss must show as a Gap, and every promise settle.
import { Gap, Message, PMessage, type SubscriberEvent } from '@x/pubsub';
import type { Reply } from '@x/resp';
import { type ClusterNode, useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  Cluster,
  ClusterRoutingError,
  type ClusterSubscriber,
  keySlot,
  ShardMovedError,
} from '../../src/index.js';

const suite = useRedisCluster();
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.connect({ seeds: [suite.cluster.seeds[0] as string] });
});
afterAll(async () => {
  await cluster?.close();
});
// Each test starts from the cluster client's current map. Right after a failover in the test
// before, its map may still be the one a MOVED patched (one slot re-pointed) until the refresh
// that follows; a subscription placed by it can land on the demoted master, which Redis accepts
// (it is now a replica of the slot's owner and still gets the shard's messages), but the tests
// below check where subscriptions land.
beforeEach(async () => {
  await cluster.refresh();
});

const ownerOf = (channel: string) => suite.cluster.nodeForSlot(keySlot(channel));

/** A channel named `prefix-N` whose slot `node` owns. */
async function channelOn(node: ClusterNode, prefix: string): Promise<string> {
  for (let index = 0; index < 1_000; index++) {
    const channel = `${prefix}-${index}`;
    if ((await ownerOf(channel)) === node) return channel;
  }
  throw new Error(`no channel of ${prefix} hashes to ${node.port}`);
}

/** The replica of `master`, asked of the replicas themselves. */
async function replicaOf(master: ClusterNode): Promise<ClusterNode> {
  for (const replica of await suite.cluster.replicas()) {
    const role = (await suite.cluster.call(replica, 'ROLE')) as Reply[];
    if (Number(role[2]) === master.port) return replica;
  }
  throw new Error(`${master.port} has no replica`);
}

/** SPUBLISHes through the cluster client until the owner reports a receiver. */
async function spublishUntilHeard(channel: string, message: string): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    if ((await cluster.do('SPUBLISH', channel, message).catch(() => 0)) === 1) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`nobody heard ${message} on ${channel}`);
}

/** Reads events until a message arrives; the gaps seen on the way are returned with it. */
async function nextMessage(
  subscriber: ClusterSubscriber,
): Promise<{ message: SubscriberEvent; gaps: Gap[] }> {
  const gaps: Gap[] = [];
  for (;;) {
    const event = await subscriber.receiveWith({ timeoutMs: 8_000 });
    if (!(event instanceof Gap)) return { message: event, gaps };
    gaps.push(event);
  }
}

const shardMessage = (channel: string, text: string) =>
  new Message(channel, Buffer.from(text), true);

describe.each([2, 3] as const)('over RESP%i', (protocol) => {
  it('SSUBSCRIBE on every master; SPUBLISH through cluster.do reaches each on its owner', async () => {
    const masters = await suite.cluster.masters();
    const channels = await Promise.all(masters.map((node) => channelOn(node, `all${protocol}`)));
    await using subscriber = cluster.subscriber({ protocol });
    // Channels of three slots (three masters) in one call: one SSUBSCRIBE per slot.
    await subscriber.ssubscribe(...channels);
    await Promise.all(masters.map((node) => suite.cluster.call(node, 'CONFIG', 'RESETSTAT')));
    for (const channel of channels)
      expect(await cluster.do('SPUBLISH', channel, `to ${channel}`)).toBe(1);
    for (const channel of channels)
      expect(await subscriber.receiveWith({ timeoutMs: 2_000 })).toEqual(
        shardMessage(channel, `to ${channel}`),
      );
    // Routed by the channel's slot, never redirected: each master ran one SPUBLISH, none refused.
    for (const node of masters) {
      const stats = String(await suite.cluster.call(node, 'INFO', 'commandstats'));
      expect(stats).toMatch(/cmdstat_spublish:calls=1,.*rejected_calls=0,/);
    }
    // Unsubscribed where they are held: one by name, then the rest.
    await subscriber.sunsubscribe(channels[0] as string);
    expect(await cluster.do('SPUBLISH', channels[0] as string, 'gone')).toBe(0);
    expect(await cluster.do('SPUBLISH', channels[1] as string, 'kept')).toBe(1);
    expect(await subscriber.receiveWith({ timeoutMs: 2_000 })).toEqual(
      shardMessage(channels[1] as string, 'kept'),
    );
    await subscriber.sunsubscribe();
    for (const channel of channels) expect(await cluster.do('SPUBLISH', channel, 'gone')).toBe(0);
  });

  it('SUBSCRIBE and PSUBSCRIBE on one master hear a PUBLISH sent to any other', async () => {
    await using subscriber = cluster.subscriber({ protocol });
    await subscriber.subscribe(`news${protocol}`);
    await subscriber.psubscribe(`metrics${protocol}.*`);
    const masters = await suite.cluster.masters();
    const holders: ClusterNode[] = [];
    for (const node of masters) {
      const reply = (await suite.cluster.call(
        node,
        'PUBSUB',
        'NUMSUB',
        `news${protocol}`,
      )) as Reply[];
      if (reply[1] === 1) holders.push(node);
    }
    expect(holders).toHaveLength(1);
    // Published on each master in turn: the cluster bus carries it to the subscriber's.
    for (const node of masters)
      await suite.cluster.call(node, 'PUBLISH', `news${protocol}`, String(node.port));
    const heard = [];
    for (const _ of masters) heard.push(await subscriber.receiveWith({ timeoutMs: 2_000 }));
    expect(heard).toEqual(
      masters.map((node) => new Message(`news${protocol}`, Buffer.from(String(node.port)))),
    );
    // And through the cluster client, which sends a keyless PUBLISH to any master.
    await cluster.do('PUBLISH', `metrics${protocol}.cpu`, '42');
    expect(await subscriber.receiveWith({ timeoutMs: 2_000 })).toEqual(
      new PMessage(`metrics${protocol}.*`, `metrics${protocol}.cpu`, Buffer.from('42')),
    );
    await subscriber.unsubscribe();
    await subscriber.punsubscribe(`metrics${protocol}.*`);
    const holder = holders[0] as ClusterNode;
    expect(await suite.cluster.call(holder, 'PUBLISH', `news${protocol}`, 'gone')).toBe(0);
    expect(await suite.cluster.call(holder, 'PUBLISH', `metrics${protocol}.cpu`, 'gone')).toBe(0);
  });

  it('follows a shard channel to the replica promoted by CLUSTER FAILOVER, with a Gap', async () => {
    const master = (await suite.cluster.masters())[1] as ClusterNode;
    const moving = await channelOn(master, `failover${protocol}`);
    const other = await channelOn(
      (await suite.cluster.masters())[2] as ClusterNode,
      `calm${protocol}`,
    );
    await using subscriber = cluster.subscriber({ protocol });
    await subscriber.ssubscribe(moving, other);
    await spublishUntilHeard(moving, 'before');
    expect((await nextMessage(subscriber)).message).toEqual(shardMessage(moving, 'before'));

    const replica = await replicaOf(master);
    await suite.cluster.failover(replica);
    const promotedAt = performance.now();
    await spublishUntilHeard(moving, 'after');
    const { message, gaps } = await nextMessage(subscriber);
    console.info(
      `RESP${protocol} failover: first message ${(performance.now() - promotedAt).toFixed(0)} ms after the promotion`,
    );
    expect(message).toEqual(shardMessage(moving, 'after'));
    expect(gaps).toHaveLength(1);
    expect(gaps[0]?.cause).toBeInstanceOf(ShardMovedError);
    expect((gaps[0] as Gap).cause).toMatchObject({ name: 'ShardMovedError' });
    expect(((gaps[0] as Gap).cause as ShardMovedError).channels).toEqual([moving]);
    // The other master's channel never moved.
    await spublishUntilHeard(other, 'undisturbed');
    expect(await nextMessage(subscriber)).toEqual({
      message: shardMessage(other, 'undisturbed'),
      gaps: [],
    });
  });

  it('follows shard channels and the channels past a killed master, and waits for its slots', async () => {
    await using subscriber = cluster.subscriber({ protocol, minBackoffMs: 10 });
    await subscriber.subscribe(`plain${protocol}`);
    // Kill the master that holds the channel connection, and shard channels there.
    let victim: ClusterNode | undefined;
    for (const node of await suite.cluster.masters()) {
      const reply = (await suite.cluster.call(
        node,
        'PUBSUB',
        'NUMSUB',
        `plain${protocol}`,
      )) as Reply[];
      if (reply[1] === 1) victim = node;
    }
    if (victim === undefined) throw new Error('the channel subscription is on no master');
    const moving = await channelOn(victim, `killed${protocol}`);
    const late = await channelOn(victim, `late${protocol}`);
    await subscriber.ssubscribe(moving);
    await spublishUntilHeard(moving, 'before');
    expect((await nextMessage(subscriber)).message).toEqual(shardMessage(moving, 'before'));

    await suite.cluster.killNode(victim);
    // Asked while the owner is dead: it waits for the promotion (subscribeWaitMs 10 s).
    const waiting = subscriber.ssubscribe(late);
    await using impatient = cluster.subscriber({ protocol, subscribeWaitMs: 200 });
    await expect(impatient.ssubscribe(late)).rejects.toSatisfy(
      (error) => error instanceof ClusterRoutingError && error.code === 'ERR_CLUSTER_UNAVAILABLE',
    );
    const promotion = await suite.cluster.waitForPromotion(victim);
    const promotedAt = performance.now();
    await waiting;

    await spublishUntilHeard(moving, 'after');
    const first = await nextMessage(subscriber);
    console.info(
      `RESP${protocol} kill: promoted ${promotion.elapsedMs.toFixed(0)} ms after the kill; first message ${(performance.now() - promotedAt).toFixed(0)} ms after the promotion`,
    );
    expect(first.message).toEqual(shardMessage(moving, 'after'));
    const shardGap = first.gaps.find((gap) => gap.cause instanceof ShardMovedError);
    expect(shardGap).toBeDefined();
    await spublishUntilHeard(late, 'late');
    expect((await nextMessage(subscriber)).message).toEqual(shardMessage(late, 'late'));
    // The channel connection moved to a live master: a PUBLISH anywhere reaches it, after a Gap.
    const survivor = (await suite.cluster.masters())[0] as ClusterNode;
    let heard: { message: SubscriberEvent; gaps: Gap[] } | undefined;
    const gaps: Gap[] = [...first.gaps.filter((gap) => gap !== shardGap)];
    for (let attempt = 0; heard === undefined && attempt < 50; attempt++) {
      await suite.cluster.call(survivor, 'PUBLISH', `plain${protocol}`, 'alive');
      const event = await subscriber.receiveWith({ timeoutMs: 200 }).catch(() => null);
      if (event instanceof Gap) gaps.push(event);
      else if (event !== null) heard = { message: event, gaps };
    }
    expect(heard?.message).toEqual(new Message(`plain${protocol}`, Buffer.from('alive')));
    expect(gaps.length).toBeGreaterThanOrEqual(1);

    // The old master comes back as a replica, for the next kill.
    await victim.server.restart();
    await suite.cluster.waitUntilStable();
  });

  it('follows a shard channel whose slot migrates to another master', async () => {
    const [from, to] = (await suite.cluster.masters()) as [ClusterNode, ClusterNode];
    const moving = await channelOn(from, `migrate${protocol}`);
    await using subscriber = cluster.subscriber({ protocol });
    await subscriber.ssubscribe(moving);
    await spublishUntilHeard(moving, 'before');
    expect((await nextMessage(subscriber)).message).toEqual(shardMessage(moving, 'before'));

    await suite.cluster.migrateSlot(keySlot(moving), from, to);
    await spublishUntilHeard(moving, 'after');
    const { message, gaps } = await nextMessage(subscriber);
    expect(message).toEqual(shardMessage(moving, 'after'));
    expect(gaps).toHaveLength(1);
    expect(((gaps[0] as Gap).cause as ShardMovedError).moves).toEqual([
      `${from.host}:${from.port} -> ${to.host}:${to.port}`,
    ]);
    expect(await ownerOf(moving)).toBe(to);
  });
});
