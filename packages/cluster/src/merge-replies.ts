import { type Reply, ReplyError } from '@x/resp';

/**
 * Joins the replies of one command sent to several nodes, as its `response_policy` tip (from
 * COMMAND INFO) says: agg_sum for DBSIZE, all_succeeded for FLUSHALL, agg_logical_and for
 * SCRIPT EXISTS… Without a tip, arrays are concatenated and maps merged (KEYS, …), and single
 * values give the first that is not null (RANDOMKEY). `special`
 * replies, and replies of mixed shapes, come back as a Map from node (`host:port`) to its reply.
 */
export function mergeReplies(
  policy: string | undefined,
  replies: readonly Reply[],
  nodes: readonly string[],
): Reply {
  switch (policy) {
    case 'all_succeeded':
    case 'one_succeeded':
      return replies[0] ?? null;
    case 'agg_sum':
      return numbers(replies, policy).reduce((sum, value) => sum + value, 0);
    case 'agg_min':
      return Math.min(...numbers(replies, policy));
    case 'agg_max':
      return Math.max(...numbers(replies, policy));
    case 'agg_logical_and':
    case 'agg_logical_or':
      return logical(replies, policy === 'agg_logical_and');
    case undefined:
      if (replies.every(Array.isArray)) return (replies as Reply[][]).flat();
      if (replies.every((reply) => reply instanceof Map)) {
        const merged = new Map<Reply, Reply>();
        for (const reply of replies as Map<Reply, Reply>[])
          for (const [key, value] of reply) merged.set(key, value);
        return merged as Reply;
      }
      // One value from any shard (RANDOMKEY on 7.0, which has no response tip): the first that
      // is not null, so that null means every shard had none.
      if (
        replies.every(
          (reply) => reply === null || typeof reply !== 'object' || reply instanceof Buffer,
        )
      )
        return replies.find((reply) => reply !== null) ?? null;
      return byNode(replies, nodes);
    default:
      return byNode(replies, nodes);
  }
}

function byNode(replies: readonly Reply[], nodes: readonly string[]): Reply {
  return new Map(replies.map((reply, index) => [nodes[index] ?? String(index), reply])) as Reply;
}

function numbers(replies: readonly Reply[], policy: string): number[] {
  return replies.map((reply) => {
    if (typeof reply === 'number') return reply;
    throw new ReplyError(
      `ERR ${policy} needs integer replies from every node, got ${typeof reply}`,
    );
  });
}

/** Element-wise AND/OR of integer arrays (SCRIPT EXISTS), or of single integers. */
function logical(replies: readonly Reply[], and: boolean): Reply {
  const first = replies[0];
  if (Array.isArray(first)) {
    return first.map((_, index) => {
      const values = replies.map((reply) => (Array.isArray(reply) ? reply[index] : 0));
      return (and ? values.every((value) => value === 1) : values.some((value) => value === 1))
        ? 1
        : 0;
    });
  }
  return (and ? replies.every((reply) => reply === 1) : replies.some((reply) => reply === 1))
    ? 1
    : 0;
}
