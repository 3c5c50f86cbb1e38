// A suite's one-time set-up (building images, starting an engine) that, when it fails, fails every test
// of the suite with its error: integration tests never end up skipped.
import { beforeAll, beforeEach } from 'vitest';

export function setUpOrFailEveryTest(setUp: () => Promise<void>, timeoutMs: number): void {
  let failure: Error | undefined;
  beforeAll(async () => {
    try {
      await setUp();
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
  }, timeoutMs);
  beforeEach(() => {
    if (failure) throw failure;
  });
}
