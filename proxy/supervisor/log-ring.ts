/**
 * The last lines an app printed, for the error page and the status API. Bounded by lines and by bytes,
 * so an app that prints megabytes of minified JSON on one line cannot grow the runtime's memory.
 */
export const LOG_RING_LINES = 500;
export const LOG_RING_BYTES = 64 * 1024;
/** Longer lines are cut: the start of a line says what it is about, its middle rarely matters. */
export const LOG_LINE_MAX_CHARS = 4096;

export class LogRing {
  private readonly lines: string[] = [];
  private bytes = 0;
  /** Lines pushed since creation, dropped ones included; a start remembers it to tell its own lines apart. */
  private pushed = 0;
  readonly maxLines: number;
  readonly maxBytes: number;

  constructor(maxLines = LOG_RING_LINES, maxBytes = LOG_RING_BYTES) {
    this.maxLines = maxLines;
    this.maxBytes = maxBytes;
  }

  get total(): number {
    return this.pushed;
  }

  push(line: string): void {
    const kept = line.length > LOG_LINE_MAX_CHARS ? `${line.slice(0, LOG_LINE_MAX_CHARS)}…` : line;
    this.lines.push(kept);
    this.bytes += Buffer.byteLength(kept);
    this.pushed += 1;
    while (this.lines.length > this.maxLines || (this.bytes > this.maxBytes && this.lines.length > 1)) {
      this.bytes -= Buffer.byteLength(this.lines.shift() ?? '');
    }
  }

  /** The last `count` lines, oldest first. */
  tail(count: number = this.maxLines): string[] {
    return count > 0 ? this.lines.slice(-count) : [];
  }

  /** The last `count` of the lines pushed after `total` was `mark`. */
  since(mark: number, count: number): string[] {
    return this.tail(Math.min(count, this.pushed - mark));
  }
}
