import { ask, askOk, isRefused, type NodeAddress, text } from './cluster-admin.js';

/** MigrationOptions tunes how keys move during a slot migration. */
export interface MigrationOptions {
  /** Keys per GETKEYSINSLOT and MIGRATE round. Default 100. */
  keysBatch?: number;
}

const migrateTimeoutMs = 5_000;

/**
 * Marks `slots` IMPORTING on `to` and MIGRATING on `from`, as redis-cli does: the target first,
 * so that no ASK can point at a node that would answer MOVED.
 */
export async function markMigrating(
  slots: number[],
  from: NodeAddress,
  to: NodeAddress,
): Promise<void> {
  await askOk(
    to.port,
    slots.map((slot) => ['CLUSTER', 'SETSLOT', slot, 'IMPORTING', from.id]),
  );
  await askOk(
    from.port,
    slots.map((slot) => ['CLUSTER', 'SETSLOT', slot, 'MIGRATING', to.id]),
  );
}

/** Moves `keys` from `from` to `to` with one MIGRATE ... KEYS; keys already gone are skipped. */
export async function moveKeys(from: NodeAddress, to: NodeAddress, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  // MIGRATE host port "" 0 timeout KEYS k...: the empty key and db 0 ask for the multi-key form.
  const [reply] = await askOk(
    from.port,
    [['MIGRATE', to.host, to.port, '', 0, migrateTimeoutMs, 'KEYS', ...keys]],
    migrateTimeoutMs + 2_000,
  );
  if (reply !== 'OK' && reply !== 'NOKEY') throw new Error(`MIGRATE replied ${text(reply)}`);
}

/** Moves every key left in `slots` from `from` to `to`, `keysBatch` keys at a time. */
export async function moveAllKeys(
  slots: number[],
  from: NodeAddress,
  to: NodeAddress,
  options: MigrationOptions = {},
): Promise<void> {
  const batch = options.keysBatch ?? 100;
  const counts = await askOk(
    from.port,
    slots.map((slot) => ['CLUSTER', 'COUNTKEYSINSLOT', slot]),
  );
  for (const [index, slot] of slots.entries()) {
    if (counts[index] === 0) continue;
    for (;;) {
      const [keys] = await askOk(from.port, [['CLUSTER', 'GETKEYSINSLOT', slot, batch]]);
      if (!Array.isArray(keys) || keys.length === 0) break;
      await moveKeys(from, to, keys.map(text));
    }
  }
}

/**
 * Gives `slots` to `to` with SETSLOT NODE: on the target first (it bumps its config epoch so
 * that the others accept the change), then the source, then the other masters, which would learn
 * it by gossip anyway. A master that is down is skipped.
 */
export async function assignSlots(
  slots: number[],
  from: NodeAddress,
  to: NodeAddress,
  otherMasters: NodeAddress[],
): Promise<void> {
  const commands = slots.map((slot) => ['CLUSTER', 'SETSLOT', slot, 'NODE', to.id]);
  await askOk(to.port, commands);
  await askOk(from.port, commands);
  await Promise.all(
    otherMasters.map(async (master) => {
      try {
        const replies = await ask(master.port, commands, 2_000 + commands.length);
        const failed = replies.find((reply) => reply instanceof Error);
        if (failed) throw failed;
      } catch (error) {
        if (!isRefused(error)) throw error;
      }
    }),
  );
}
