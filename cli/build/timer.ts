/** Times the steps of a build: `timings` holds milliseconds by step name (repeated steps add up). */
export class Timer {
  readonly timings: Record<string, number> = {};
  private readonly started = Date.now();

  async time<T>(name: string, run: () => Promise<T>): Promise<T> {
    const start = Date.now();
    try {
      return await run();
    } finally {
      this.timings[name] = (this.timings[name] ?? 0) + Date.now() - start;
    }
  }

  total(): void {
    this.timings.total = Date.now() - this.started;
  }
}
