// DEFECT (low): the sentinel list only grows. Every address a sentinel ever reports is appended
// and none is removed, so sentinels whose addresses change (pods rescheduled, DHCP) or a hostile
// sentinel make it grow without bound (memory, and every pass that reaches the tail asks dead
// addresses, each costing up to sentinel.timeoutMs). A sentinel configured by name is also asked
// twice per pass once the group reports it by IP.
import { expect, it } from 'vitest';
import { sentinelDial } from '../../src/index.js';
import { useMasterAndSentinel } from './helpers.js';

const setup = useMasterAndSentinel();

it('sentinels reported with changing addresses do not grow the list without bound', async () => {
  let n = 0;
  setup.sentinel.sentinels = () => [
    ['name', `s${n}`, 'ip', `10.0.${Math.floor(n / 250)}.${(n++ % 250) + 1}`, 'port', '26379'],
  ];
  const dial = sentinelDial({
    sentinels: [setup.sentinel.address],
    masterName: 'mymaster',
    watchFailovers: false,
  });
  for (let i = 0; i < 300; i++) (await dial({ signal: new AbortController().signal })).destroy();
  // Observed: 301.
  expect(dial.sentinels().length).toBeLessThanOrEqual(50);
});

it('a sentinel configured by name is not added again when the group reports it by IP', async () => {
  setup.sentinel.sentinels = () => [
    ['name', 'self', 'ip', '127.0.0.1', 'port', String(setup.sentinel.port)],
  ];
  const dial = sentinelDial({
    sentinels: [`localhost:${setup.sentinel.port}`],
    masterName: 'mymaster',
    watchFailovers: false,
  });
  (await dial({ signal: new AbortController().signal })).destroy();
  // Observed: ['localhost:P', '127.0.0.1:P'].
  expect(dial.sentinels()).toHaveLength(1);
});
