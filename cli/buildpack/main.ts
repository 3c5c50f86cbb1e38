/**
 * The buildpack's program: `hubify-buildpack.mjs detect|build`, run by bin/detect and bin/build with
 * the Node binary shipped in the package. Bundled by esbuild to dist/hubify-buildpack.mjs. Info goes to
 * stdout, warnings and errors to stderr (as the spec asks). Exit codes: detect 0 pass, 100 fail; build
 * 0 done; 1 for any error (a missing CNB_* variable, an app process asked for but absent, an invalid
 * manifest, a bug).
 */
import { isMainModule } from '../../proxy/entry-point.ts';
import { ManifestProblem } from './app-manifest.ts';
import { BuildFailure, runBuild } from './build.ts';
import { CnbContractError } from './cnb-env.ts';
import { runDetect, type PhaseIo } from './detect.ts';

const PHASES: Record<string, (io: PhaseIo) => Promise<number>> = { detect: runDetect, build: runBuild };

export const ERROR_EXIT = 1;

export async function runPhase(phase: string | undefined, io: PhaseIo): Promise<number> {
  const run = phase === undefined ? undefined : PHASES[phase];
  if (run === undefined) {
    io.warn(`hubify buildpack: expected "detect" or "build", got ${JSON.stringify(phase ?? '')}`);
    return ERROR_EXIT;
  }
  try {
    return await run(io);
  } catch (error) {
    if (
      error instanceof BuildFailure ||
      error instanceof CnbContractError ||
      error instanceof ManifestProblem
    ) {
      io.warn(`hubify buildpack: ${phase} failed: ${error.message}`);
    } else {
      io.warn(
        `hubify buildpack: ${phase} failed with an unexpected error (a bug in hubify; please report it with this output):\n` +
          (error instanceof Error ? (error.stack ?? error.message) : String(error)),
      );
    }
    return ERROR_EXIT;
  }
}

if (isMainModule(import.meta.url)) {
  process.exitCode = await runPhase(process.argv[2], {
    info: (line) => void process.stdout.write(`${line}\n`),
    warn: (line) => void process.stderr.write(`${line}\n`),
    env: process.env,
    cwd: process.cwd(),
  });
}
