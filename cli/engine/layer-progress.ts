/**
 * Progress of a pull or push, one bar per layer. On a terminal the block of bars is redrawn in place;
 * elsewhere (logs, CI, tests) a line is printed when a layer's status changes, never per byte.
 */
import type { EngineEvent } from './engine-stream.ts';

const BAR_WIDTH = 24;

interface LayerState {
  id: string;
  status: string;
  current: number;
  total: number;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

function bar(current: number, total: number): string {
  if (total <= 0) return '';
  const filled = Math.min(BAR_WIDTH, Math.round((current / total) * BAR_WIDTH));
  const head = filled < BAR_WIDTH ? '>' : '';
  return `[${'='.repeat(Math.max(0, filled - head.length))}${head}${' '.repeat(BAR_WIDTH - filled)}] ${formatBytes(current)}/${formatBytes(total)}`;
}

export class LayerProgress {
  private readonly layers = new Map<string, LayerState>();
  private drawnLines = 0;
  private readonly write: (text: string) => void;
  private readonly interactive: boolean;

  /**
   * @param write where the text goes (stderr)
   * @param interactive redraw bars in place (a terminal), else print status changes as lines
   */
  constructor(write: (text: string) => void, interactive: boolean) {
    this.write = write;
    this.interactive = interactive;
  }

  /** One event of the engine's pull or push stream. */
  update(event: EngineEvent): void {
    const { id, status } = event;
    // Events without a layer id ("Pulling from library/debian", "Digest: ...", "Status: ...").
    if (status === undefined) return;
    if (id === undefined || !/^[0-9a-f]{12,}$/.test(id)) {
      this.line(`${id === undefined ? '' : `${id}: `}${status}`);
      return;
    }
    const layer = this.layers.get(id) ?? { id, status: '', current: 0, total: 0 };
    const changed = layer.status !== status;
    layer.status = status;
    layer.current = event.progressDetail?.current ?? (changed ? 0 : layer.current);
    layer.total = event.progressDetail?.total ?? (changed ? 0 : layer.total);
    this.layers.set(id, layer);
    if (this.interactive) this.redraw();
    else if (changed) this.write(`  ${this.describe(layer, false)}\n`);
  }

  /** Text lines of the current state (for tests and the final redraw). */
  lines(): string[] {
    return [...this.layers.values()].map((layer) => this.describe(layer, true));
  }

  private describe(layer: LayerState, withBar: boolean): string {
    const detail = withBar
      ? bar(layer.current, layer.total)
      : layer.total > 0
        ? formatBytes(layer.total)
        : '';
    return `${layer.id.slice(0, 12)}: ${layer.status}${detail === '' ? '' : ` ${detail}`}`.trimEnd();
  }

  private line(text: string): void {
    if (this.interactive) {
      this.clear();
      this.write(`${text}\n`);
      this.redraw();
    } else {
      this.write(`  ${text}\n`);
    }
  }

  private clear(): void {
    if (this.drawnLines > 0) this.write(`\x1b[${this.drawnLines}A\x1b[0J`);
    this.drawnLines = 0;
  }

  private redraw(): void {
    this.clear();
    const lines = this.lines();
    for (const text of lines) this.write(`  ${text}\x1b[K\n`);
    this.drawnLines = lines.length;
  }
}
