import { join } from 'node:path';
import { runReadmeExample, useRedisServer } from '@x/test-redis';
import { it } from 'vitest';

const redis = useRedisServer();

it('runs the README example against a real server', async () => {
  await runReadmeExample(join(import.meta.dirname, '../../README.md'), [
    ["'@x/client'", "'./src/index.js'"],
    ['redis://127.0.0.1:6379', redis.url],
  ]);
});
