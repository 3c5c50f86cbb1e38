// Runtime metrics (proxy/metrics.ts): the hot path bumps plain numbers; prom-client renders them on
// scrape. Every scrape shows the running totals (counters are mirrored by their growth, so a second
// scrape neither loses nor doubles counts), labelled gauges keep their last value, and the process
// metrics are there.
import { describe, expect, it } from 'vitest';

import { RuntimeMetrics } from '../../proxy/metrics.ts';

function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('RuntimeMetrics', () => {
  it('renders counters with their labels as running totals across scrapes', async () => {
    const metrics = new RuntimeMetrics();
    metrics.requests.inc({ route: 'app', status: '2xx' });
    metrics.requests.inc({ route: 'app', status: '2xx' });
    metrics.requests.inc({ route: 'api', status: '4xx' });
    const first = await metrics.render();
    expect(first.contentType).toMatch(/^text\/plain/);
    expect(sample(first.text, 'hubify_requests_total{route="app",status="2xx"}')).toBe(2);
    expect(sample(first.text, 'hubify_requests_total{route="api",status="4xx"}')).toBe(1);
    metrics.requests.inc({ route: 'app', status: '2xx' });
    metrics.authentications.inc({ result: 'allowed' });
    const second = await metrics.render();
    expect(sample(second.text, 'hubify_requests_total{route="app",status="2xx"}')).toBe(3);
    expect(sample(second.text, 'hubify_requests_total{route="api",status="4xx"}')).toBe(1);
    expect(sample(second.text, 'hubify_auth_total{result="allowed"}')).toBe(1);
    const third = await metrics.render();
    expect(sample(third.text, 'hubify_requests_total{route="app",status="2xx"}')).toBe(3);
  });

  it('renders gauges, labelled and not, with their last value', async () => {
    const metrics = new RuntimeMetrics();
    expect(sample((await metrics.render()).text, 'hubify_websocket_connections')).toBe(0);
    metrics.websockets.inc();
    metrics.websockets.inc();
    metrics.websockets.dec();
    metrics.appUp.set({ app: 'rstudio' }, 1);
    metrics.appUp.set({ app: 'rstudio' }, 0);
    metrics.lastActivity.set(1_700_000_000);
    const text = (await metrics.render()).text;
    expect(sample(text, 'hubify_websocket_connections')).toBe(1);
    expect(sample(text, 'hubify_app_running{app="rstudio"}')).toBe(0);
    expect(sample(text, 'hubify_last_activity_timestamp_seconds')).toBe(1_700_000_000);
    expect(text).toContain('# HELP hubify_proxy_errors_total');
    expect(text).toMatch(/^hubify_process_resident_memory_bytes \d+/m);
  });
});
