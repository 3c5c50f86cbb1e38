// Cold start and memory of hubify-proxy (standalone, quick mode, the echo app), 5 runs on loopback:
// process spawn -> first 200 on <prefix>api; -> first authenticated proxied 200 (includes the lazy
// app start); RSS idle after that; RSS after 2,000 sequential proxied requests. `npm run bench:startup`.
// The full side-by-side benchmark against the incumbents is a later issue (npm run bench).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
const results = [];
for (let i = 0; i < 5; i++) {
  const port = 19000 + i; // loopback only
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      new URL('../../dist/hubify-proxy.mjs', import.meta.url).pathname,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--app',
      `echo=${process.execPath} ${new URL('../fixtures/apps/echo-app.mjs', import.meta.url).pathname} --port {port}`,
    ],
    { env: { ...process.env, HUBIFY_TOKEN: 't' }, stdio: 'ignore' },
  );
  let first = null;
  while (first === null) {
    try {
      const r = await request(`http://127.0.0.1:${port}/api`);
      await r.body.dump();
      if (r.statusCode === 200) first = performance.now() - t0;
    } catch {
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  // first proxied authenticated 200 (includes lazy app start)
  const r2 = await request(`http://127.0.0.1:${port}/echo/headers`, {
    headers: { authorization: 'token t' },
  });
  await r2.body.dump();
  const proxied = performance.now() - t0;
  const rssIdle = Number(readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024;
  for (let j = 0; j < 2000; j++) {
    const r = await request(`http://127.0.0.1:${port}/echo/headers`, {
      headers: { authorization: 'token t' },
    });
    await r.body.dump();
  }
  const rssLoad = Number(readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024;
  results.push({
    readyMs: first.toFixed(0),
    firstProxiedMs: proxied.toFixed(0),
    rssIdleMB: rssIdle.toFixed(1),
    rssAfter2000MB: rssLoad.toFixed(1),
  });
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}
console.table(results);
