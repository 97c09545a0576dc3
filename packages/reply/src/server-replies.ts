import type { Reply } from '@x/resp';
import { toValues } from './collections.js';
import { ReplyTypeError } from './errors.js';
import { helper } from './helper.js';
import { toFloat, toInt, toText } from './scalars.js';

/** One SLOWLOG GET entry. */
export interface SlowLog {
  id: number;
  /** When the command ran. */
  time: Date;
  /** How long it ran, in microseconds. */
  executionTimeMicros: number;
  args: string[];
  clientAddr: string;
  clientName: string;
}

/** One LATENCY LATEST entry. */
export interface Latency {
  name: string;
  time: Date;
  latestMs: number;
  maxMs: number;
}

/** One LATENCY HISTORY sample. */
export interface LatencyHistory {
  time: Date;
  executionTimeMs: number;
}

function entries(reply: Reply, name: string, minimumLength: number): Reply[][] {
  return toValues(reply, name).map((entry) => {
    const fields = toValues(entry, name);
    if (fields.length < minimumLength)
      throw new ReplyTypeError(name, `entries of ${minimumLength} fields`, entry);
    return fields;
  });
}

const seconds = (value: Reply, name: string) => new Date(toInt(value, name) * 1000);

/** positions converts a GEOPOS reply: [longitude, latitude] pairs, null for missing members. */
export const positions = helper((reply) =>
  toValues(reply, 'positions').map((position): [number, number] | null => {
    if (position === null) return null;
    const [longitude, latitude] = toValues(position, 'positions');
    if (longitude === undefined || latitude === undefined) {
      throw new ReplyTypeError('positions', 'a [longitude, latitude] pair', position);
    }
    return [toFloat(longitude, 'positions'), toFloat(latitude, 'positions')];
  }),
);

/** slowLogs converts a SLOWLOG GET reply. */
export const slowLogs = helper((reply) =>
  entries(reply, 'slowLogs', 4).map(
    ([id, time, duration, args, address, clientName]): SlowLog => ({
      id: toInt(id!, 'slowLogs'),
      time: seconds(time!, 'slowLogs'),
      executionTimeMicros: toInt(duration!, 'slowLogs'),
      args: toValues(args!, 'slowLogs').map((arg) => toText(arg, 'slowLogs')),
      clientAddr: address === undefined ? '' : toText(address, 'slowLogs'),
      clientName: clientName === undefined ? '' : toText(clientName, 'slowLogs'),
    }),
  ),
);

/** latencies converts a LATENCY LATEST reply. */
export const latencies = helper((reply) =>
  entries(reply, 'latencies', 4).map(
    ([event, time, latest, max]): Latency => ({
      name: toText(event!, 'latencies'),
      time: seconds(time!, 'latencies'),
      latestMs: toInt(latest!, 'latencies'),
      maxMs: toInt(max!, 'latencies'),
    }),
  ),
);

/** latencyHistories converts a LATENCY HISTORY reply. */
export const latencyHistories = helper((reply) =>
  entries(reply, 'latencyHistories', 2).map(
    ([time, latency]): LatencyHistory => ({
      time: seconds(time!, 'latencyHistories'),
      executionTimeMs: toInt(latency!, 'latencyHistories'),
    }),
  ),
);
