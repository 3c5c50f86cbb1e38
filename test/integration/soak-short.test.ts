// The soak in its CI length: the same load and the same checks as `npm run soak` (test/soak/soak.ts:
// 1,000 HTTP connections and 200 WebSockets through hubify-proxy on loopback), for 45 s instead of 5
// minutes. No errors, RSS growth under 10 %, file descriptors back to the idle baseline. The figures
// are printed.
import { describe, expect, it } from 'vitest';
import { formatFigures, runSoak } from '../soak/soak.ts';

const DURATION_SECONDS = 45;

describe('soak (short form)', () => {
  it(`1,000 HTTP connections and 200 WebSockets for ${DURATION_SECONDS} s: no errors, flat RSS, fds back to baseline`, async () => {
    const figures = await runSoak({
      durationSeconds: DURATION_SECONDS,
      httpConnections: 1000,
      webSockets: 200,
    });
    console.log(formatFigures(figures));
    expect(figures.errorSamples).toEqual([]);
    expect(figures.httpRequests).toBeGreaterThan(0);
    expect(figures.wsMessages).toBeGreaterThan(0);
    expect(figures.rssGrowth).toBeLessThan(0.1);
    expect(figures.fdAfter).toBeLessThanOrEqual(figures.fdBaseline);
    expect(figures.failures).toEqual([]);
  }, 180_000);
});
