/**
 * Prometheus metrics at `<prefix>_hubify/metrics` (authenticated like everything else). The hot path
 * only bumps plain numbers in maps (no label hashing, no registry); prom-client, which keeps the
 * exposition format right and adds the process metrics, is loaded on the first scrape only, so it
 * costs nothing at start or per request. Process metrics that need history (GC, event-loop lag)
 * count from that first scrape on.
 */
import type { Counter, Gauge, Registry } from 'prom-client';

type Labels<Name extends string> = Record<Name, string>;

interface MetricDefinition {
  name: string;
  help: string;
  labelNames: readonly string[];
}

/** Values by label set (label values joined by a separator no label value contains). */
class LabelledValues<Name extends string> {
  readonly definition: MetricDefinition;
  readonly values = new Map<string, { labels: Labels<Name>; value: number }>();

  constructor(definition: MetricDefinition) {
    this.definition = definition;
  }

  protected entry(labels: Labels<Name>): { labels: Labels<Name>; value: number } {
    let key = '';
    for (const name of this.definition.labelNames) key += `${labels[name as Name]}\u0000`;
    let entry = this.values.get(key);
    if (entry === undefined) {
      entry = { labels, value: 0 };
      this.values.set(key, entry);
    }
    return entry;
  }
}

export class CounterValues<Name extends string> extends LabelledValues<Name> {
  inc(labels: Labels<Name>, by = 1): void {
    this.entry(labels).value += by;
  }
}

export class GaugeValues<Name extends string = never> extends LabelledValues<Name> {
  set(...args: [Name] extends [never] ? [value: number] : [labels: Labels<Name>, value: number]): void {
    if (args.length === 1) this.entry({} as Labels<Name>).value = args[0];
    else this.entry(args[0]).value = args[1];
  }
  inc(): void {
    this.entry({} as Labels<Name>).value += 1;
  }
  dec(): void {
    this.entry({} as Labels<Name>).value -= 1;
  }
}

const counter = <Name extends string>(
  name: string,
  help: string,
  labelNames: readonly Name[],
): CounterValues<Name> => new CounterValues<Name>({ name, help, labelNames });
const gauge = <Name extends string = never>(
  name: string,
  help: string,
  labelNames: readonly Name[] = [],
): GaugeValues<Name> => new GaugeValues<Name>({ name, help, labelNames });

export class RuntimeMetrics {
  readonly requests = counter('hubify_requests_total', 'Requests answered, by route kind and status class.', [
    'route',
    'status',
  ]);
  readonly proxyErrors = counter(
    'hubify_proxy_errors_total',
    'Requests to apps that failed before a response, by app and reason.',
    ['app', 'reason'],
  );
  readonly authentications = counter(
    'hubify_auth_total',
    'Authentication outcomes: allowed, denied (authenticated but no access), anonymous.',
    ['result'],
  );
  readonly websockets = gauge('hubify_websocket_connections', 'Open WebSocket (upgrade) tunnels to apps.');
  readonly appUp = gauge('hubify_app_running', '1 when the app is running, 0 otherwise.', ['app']);
  readonly appRestarts = gauge(
    'hubify_app_restarts',
    'Restarts of the app after crashes since it was last started by hand.',
    ['app'],
  );
  readonly activityReports = gauge(
    'hubify_activity_reports',
    'Activity reports to the hub, by result (posted, failed, skipped).',
    ['result'],
  );
  readonly lastActivity = gauge(
    'hubify_last_activity_timestamp_seconds',
    'Time of the last user activity (Unix seconds), 0 before any.',
  );

  private exposition: Promise<{ registry: Registry; sync: () => void }> | null = null;

  /** The exposition text and its content type; loads prom-client on the first call. */
  async render(): Promise<{ text: string; contentType: string }> {
    this.exposition ??= this.createExposition();
    const { registry, sync } = await this.exposition;
    sync();
    return { text: await registry.metrics(), contentType: registry.contentType };
  }

  private async createExposition(): Promise<{ registry: Registry; sync: () => void }> {
    const prom = await import('prom-client');
    const registry = new prom.Registry();
    prom.collectDefaultMetrics({ register: registry, prefix: 'hubify_' });
    const mirrors: (() => void)[] = [];
    const counters = [this.requests, this.proxyErrors, this.authentications] as LabelledValues<string>[];
    for (const values of counters) {
      const metric: Counter<string> = new prom.Counter({
        ...values.definition,
        labelNames: [...values.definition.labelNames],
        registers: [registry],
      });
      const reported = new Map<string, number>();
      mirrors.push(() => {
        for (const [key, { labels, value }] of values.values) {
          const delta = value - (reported.get(key) ?? 0);
          metric.inc(labels, delta);
          reported.set(key, value);
        }
      });
    }
    const gauges = [
      this.websockets,
      this.appUp,
      this.appRestarts,
      this.activityReports,
      this.lastActivity,
    ] as LabelledValues<string>[];
    for (const values of gauges) {
      const metric: Gauge<string> = new prom.Gauge({
        ...values.definition,
        labelNames: [...values.definition.labelNames],
        registers: [registry],
      });
      if (values.definition.labelNames.length === 0) metric.set(0);
      mirrors.push(() => {
        for (const { labels, value } of values.values.values()) metric.set(labels, value);
      });
    }
    return { registry, sync: () => mirrors.forEach((mirror) => mirror()) };
  }
}
