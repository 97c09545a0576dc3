// Run by exit-mid-dial.test.ts: dials the master through one sentinel given on the command line,
// with a client, and prints what happened. Uses the built packages, as an application would.
import { createClient } from '@x/client';
import { Pool } from '@x/pool';
import { Subscriber } from '@x/pubsub';
import { sentinelDial } from '@x/sentinel';

const [sentinel, mode] = process.argv.slice(2);
process.on('exit', (code) => console.log(`exit ${code}`));
const dial = sentinelDial({ sentinels: [sentinel], masterName: 'mymaster' });
if (mode === 'dial') {
  const conn = await dial({ signal: new AbortController().signal });
  console.log('dialled');
  conn.destroy();
} else if (mode === 'pool') {
  const pool = new Pool({ dial });
  console.log(`reply ${String(await pool.do('PING'))}`);
  await pool.close();
  console.log('closed');
} else if (mode === 'subscriber') {
  const subscriber = new Subscriber({ dial });
  await subscriber.subscribe('news');
  console.log('subscribed');
  await subscriber.close();
  console.log('closed');
} else {
  const client = createClient(dial);
  console.log(`reply ${String(await client.do('PING'))}`);
  await client.close();
  console.log('closed');
}
