/**
 * `hubify-detect`: writes the app manifest of the image it runs in. It ships in the runtime image
 * (`hubify runtime-image`) as /opt/hubify/bin/hubify-detect, and runs during a Docker build, after
 * `COPY --from=<runtime image> /opt/hubify /opt/hubify`:
 *
 *   RUN /opt/hubify/bin/hubify-detect --user "${NB_USER}"
 *
 * It is `hubify manifest IMAGE` from the inside: the same detection (cli/inspect/detect.ts) and the
 * same manifest generation, with the image's filesystem read directly (`/`) and its config taken from
 * the build's environment (ENV of the image so far) and `--user`. It needs no Python, no engine and
 * no network. Bundled by build.mjs to dist/hubify-detect.mjs (runs on the image's /opt/hubify/bin/node).
 *
 * Exit 0 written; 1 the image cannot be made hub-ready (every reason listed) or the file cannot be
 * written; 2 bad usage or an invalid manifest (every problem listed).
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatManifestIssues } from '../../../schemas/manifest.ts';
import { isMainModule } from '../../../proxy/entry-point.ts';
import { detectImageFacts, type ImageInput } from '../../inspect/detect.ts';
import { manifestFromFacts } from '../../inspect/generate-manifest.ts';
import { LAYOUT } from '../../layer/layout.ts';
import { LocalImageFs } from './local-fs.ts';

export const DETECT_USAGE = `Usage: hubify-detect [--user NAME] [--out FILE] [--app NAME=COMMAND]... [--reference NAME]

Writes the hubify app manifest of the image this runs in (during a Docker build, after
COPY --from=<hubify runtime image> /opt/hubify /opt/hubify).

  --user NAME         The user the image runs as (its USER; default $NB_USER, else root)
  --out FILE          Where to write the manifest (default ${LAYOUT.manifest}; - for stdout)
  --app NAME=COMMAND  Add an app, or replace the detected one of that name (repeatable)
  --reference NAME    The image's name, for messages (default "this image")
`;

/** Variables a `RUN` step has that are not part of the image's ENV. */
const BUILD_ONLY_ENV = new Set(['HOSTNAME', 'PWD', 'OLDPWD', 'SHLVL', '_']);

export interface DetectRequest {
  user: string;
  out: string;
  apps: string[];
  reference: string;
}

export type ParsedDetectArgs =
  { kind: 'help' } | { kind: 'run'; request: DetectRequest } | { kind: 'usage'; message: string };

export function parseDetectArgs(
  argv: string[],
  env: Readonly<Record<string, string | undefined>>,
): ParsedDetectArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        user: { type: 'string' },
        out: { type: 'string' },
        app: { type: 'string', multiple: true },
        reference: { type: 'string' },
      },
    }));
  } catch (error) {
    return { kind: 'usage', message: (error as Error).message };
  }
  if (values.help === true) return { kind: 'help' };
  return {
    kind: 'run',
    request: {
      user: values.user ?? env.NB_USER ?? '',
      out: values.out ?? LAYOUT.manifest,
      apps: values.app ?? [],
      reference: values.reference ?? 'this image',
    },
  };
}

/** Node's name for the architecture, as the image config spells it. */
export function imageArchitecture(nodeArch: string): string {
  return nodeArch === 'x64' ? 'amd64' : nodeArch;
}

/** The image as `detectImageFacts` needs it, from inside: the build's environment and `--user`. */
export function imageInputFromInside(
  request: Pick<DetectRequest, 'user' | 'reference'>,
  env: Readonly<Record<string, string | undefined>>,
  nodeArch: string,
): ImageInput {
  const imageEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(env))
    if (value !== undefined && !BUILD_ONLY_ENV.has(name)) imageEnv[name] = value;
  return {
    reference: request.reference,
    id: '',
    os: 'linux',
    architecture: imageArchitecture(nodeArch),
    config: { entrypoint: null, cmd: null, user: request.user, workdir: '', env: imageEnv, labels: {} },
  };
}

interface DetectIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Runs hubify-detect; returns the exit code. `root` is the image's `/` (tests use a directory). */
export async function runDetect(
  argv: string[],
  env: Readonly<Record<string, string | undefined>>,
  io: DetectIo,
  root = '/',
): Promise<number> {
  const parsed = parseDetectArgs(argv, env);
  if (parsed.kind === 'help') {
    io.stdout(DETECT_USAGE);
    return 0;
  }
  if (parsed.kind === 'usage') {
    io.stderr(`hubify-detect: ${parsed.message}\n\n${DETECT_USAGE}`);
    return 2;
  }
  const { request } = parsed;
  const facts = await detectImageFacts(
    imageInputFromInside(request, env, process.arch),
    new LocalImageFs(root),
  );
  if (facts.unsupported.length > 0) {
    io.stderr(
      `hubify-detect: ${request.reference} cannot be made hub-ready:\n${facts.unsupported.map((reason) => `  - ${reason}`).join('\n')}\n`,
    );
    return 1;
  }
  let generated;
  try {
    generated = manifestFromFacts(facts, { apps: request.apps });
  } catch (error) {
    io.stderr(`hubify-detect: ${(error as Error).message}\n`);
    return 2;
  }
  if (generated.issues.length > 0) {
    io.stderr(
      `hubify-detect: ${formatManifestIssues(generated.issues, `the manifest for ${request.reference}`)}`,
    );
    return 2;
  }
  const json = `${JSON.stringify(generated.manifest, null, 2)}\n`;
  if (request.out === '-') io.stdout(json);
  else {
    try {
      await writeFile(request.out, json);
    } catch (error) {
      io.stderr(
        `hubify-detect: cannot write ${request.out}: ${(error as Error).message}\n` +
          `Run it as root (USER root before the RUN line, USER <your user> after it), or name another file with --out.\n`,
      );
      return 1;
    }
  }
  const apps = generated.manifest.apps.map((app) => app.name);
  io.stderr(
    `hubify-detect: ${request.out === '-' ? 'printed the manifest' : `wrote ${request.out}`}: ` +
      `${apps.length === 0 ? 'no apps found (add them with --app NAME=COMMAND)' : `apps ${apps.join(', ')}`}` +
      `${generated.manifest.defaultApp === undefined ? '' : `; / opens ${generated.manifest.defaultApp}`}\n`,
  );
  for (const skipped of generated.skipped) io.stderr(`hubify-detect: app left out: ${skipped}\n`);
  return 0;
}

if (isMainModule(import.meta.url)) {
  process.exitCode = await runDetect(process.argv.slice(2), process.env, {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
  });
}
