/**
 * `hubify test IMAGE`: runs IMAGE as a user's server behind a real JupyterHub (a container from
 * `--hub-image` with only a mounted config) and checks it as a user would: login and access, activity,
 * every app, stop. Exit 0 when every check passed, 1 when one failed, 3 when the engine, the hub or the
 * browser could not start.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { EXIT } from '../errors.ts';
import { formatJson, formatJunit, formatTable, reportPassed } from '../hubtest/report.ts';
import { runHubTest } from '../hubtest/run.ts';
import type { CliIo } from '../output.ts';

export interface TestOptions {
  image: string;
  hubImage: string;
  useImageCmd: boolean;
  json: boolean;
  junit: string | null;
  keep: boolean;
  timeoutSeconds: number;
}

/** Resolves on the first SIGINT/SIGTERM (used by --keep: then everything is cleaned up). */
function untilInterrupted(): Promise<void> {
  return new Promise((resolveWait) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolveWait();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

export async function runTest(options: TestOptions, io: CliIo): Promise<number> {
  const report = await runHubTest(
    {
      image: options.image,
      hubImage: options.hubImage,
      useImageCmd: options.useImageCmd,
      keep: options.keep,
      timeoutSeconds: options.timeoutSeconds,
      ...(options.keep ? { waitForRelease: untilInterrupted } : {}),
    },
    io,
  );
  io.stdout(options.json ? formatJson(report) : formatTable(report));
  if (options.junit !== null) await writeFile(resolve(io.cwd, options.junit), formatJunit(report), 'utf8');
  return reportPassed(report) ? EXIT.OK : EXIT.CHECK_FAILED;
}
