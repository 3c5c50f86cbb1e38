/**
 * `hubify`: declares the commands and flags (yargs), runs the chosen command, and holds the ONE
 * top-level catch: a HubifyError prints its text and exits with its code; anything else is a bug,
 * printed as "internal error" with exit 70 (the stack only with --debug or HUBIFY_DEBUG=1).
 * Bundled by esbuild to dist/hubify.mjs; runnable directly with `npx tsx cli/main.ts`.
 */
import yargs from 'yargs';
import pkg from '../package.json' with { type: 'json' };
import { isMainModule } from '../proxy/entry-point.ts';
import { EXIT, HubifyError, formatInternalError, usageError } from './errors.ts';
import { processIo, type CliIo } from './output.ts';

export const VERSION: string = pkg.version;

type RunCommand = () => Promise<number>;

/** The command line grammar. Handlers only record what to run; main() runs it outside yargs. */
function commandLine(io: CliIo, choose: (run: RunCommand) => void) {
  return yargs()
    .scriptName('hubify')
    .usage('Usage: $0 <command> [options]\n\nMake container images JupyterHub-ready.')
    .locale('en')
    .wrap(100)
    .strict()
    .exitProcess(false)
    .version(VERSION)
    .help()
    .alias('help', 'h')
    .option('debug', {
      type: 'boolean',
      global: true,
      describe: 'Print the stack trace of internal errors (or set HUBIFY_DEBUG=1)',
    })
    .command('manifest', 'Work with app manifests (hubify.yaml)', (manifest) =>
      manifest
        .command(
          'validate <file>',
          'Check a manifest and print every problem at once',
          (validate) =>
            validate
              .positional('file', {
                type: 'string',
                demandOption: true,
                describe: 'Manifest file, YAML or JSON',
              })
              .option('json', {
                type: 'boolean',
                default: false,
                describe: 'Print the result as JSON on stdout',
              }),
          (args) =>
            choose(async () => {
              const { runManifestValidate } = await import('./commands/manifest-validate.ts');
              return runManifestValidate({ file: args.file, json: args.json }, io);
            }),
        )
        .command(
          'generate <image>',
          'Write the manifest hubify would build a local image with (detected apps plus your changes)',
          (generate) =>
            generate
              .positional('image', {
                type: 'string',
                demandOption: true,
                describe: 'Local image, e.g. rocker/rstudio:4.4',
              })
              .option('out', {
                type: 'string',
                describe: 'Write the manifest (JSON) to this file instead of stdout',
              })
              .option('app', {
                type: 'string',
                array: true,
                default: [],
                describe: 'NAME=COMMAND: add an app, or replace the detected one of that name (repeatable)',
              })
              .option('manifest', {
                type: 'string',
                describe:
                  'Manifest file whose apps replace or add to the detected ones and whose fields are set',
              }),
          (args) =>
            choose(async () => {
              const { runManifestGenerate } = await import('./commands/manifest-generate.ts');
              return runManifestGenerate(
                {
                  image: args.image,
                  apps: args.app.map(String),
                  ...(args.out === undefined ? {} : { out: args.out }),
                  ...(args.manifest === undefined ? {} : { manifest: args.manifest }),
                },
                io,
              );
            }),
        )
        .demandCommand(1, 'Name a manifest subcommand, for example: hubify manifest validate hubify.yaml'),
    )
    .command(
      'build <image>',
      'Make an image JupyterHub-ready: add the hubify runtime layer and tag the result',
      (build) =>
        build
          .positional('image', {
            type: 'string',
            demandOption: true,
            describe:
              'The image to start from (pulled when missing): a reference, docker://REF, oci:DIR[:REF] or docker-archive:FILE',
          })
          .option('tag', {
            alias: 't',
            type: 'string',
            demandOption: true,
            describe: 'Name of the result, e.g. me/rstudio-hub:1',
          })
          .option('push', { type: 'boolean', default: false, describe: 'Push the result to its registry' })
          .option('engine', {
            type: 'string',
            choices: ['auto', 'docker', 'none'],
            default: 'auto',
            describe:
              'Build through a Docker/Podman engine, or without one (auto: the engine when one answers)',
          })
          .option('output', {
            type: 'string',
            describe:
              'Write the result to oci:DIR[:REF] or docker-archive:FILE instead of a registry (no engine)',
          })
          .option('insecure', {
            type: 'boolean',
            default: false,
            describe: 'Without an engine: speak plain http to the registries (local ones)',
          })
          .option('platform', {
            type: 'string',
            choices: ['linux/amd64', 'linux/arm64'],
            describe: "Platform to build for (default: the image's)",
          })
          .option('app', { type: 'string', array: true, describe: 'Add an app: NAME=COMMAND (repeatable)' })
          .option('manifest', {
            type: 'string',
            describe: 'Manifest file whose apps replace or add to the detected ones',
          })
          .option('cache', {
            type: 'boolean',
            default: true,
            describe: "Use the engine's build cache (--no-cache: don't)",
          })
          .option('json', {
            type: 'boolean',
            default: false,
            describe: 'Print the result as JSON on stdout',
          }),
      (args) =>
        choose(async () => {
          const { runBuild } = await import('./commands/build.ts');
          return runBuild(
            {
              image: args.image,
              tag: args.tag,
              push: args.push,
              engine: args.engine as 'auto' | 'docker' | 'none',
              output: args.output ?? null,
              insecure: args.insecure,
              platform: args.platform ?? null,
              apps: (args.app ?? []).map(String),
              manifest: args.manifest ?? null,
              json: args.json,
              noCache: !args.cache,
              debug: args.debug === true || io.env.HUBIFY_DEBUG === '1',
            },
            io,
          );
        }),
    )
    .command('buildpack', 'The Cloud Native Buildpack that makes app images hub-ready', (buildpack) =>
      buildpack
        .command(
          'package <out-dir>',
          'Write the buildpack hubify/hub-runtime for one platform (for pack build --buildpack OUT_DIR)',
          (pack) =>
            pack
              .positional('out-dir', {
                type: 'string',
                demandOption: true,
                describe: 'Directory to write (new, empty, or a buildpack this command wrote)',
              })
              .option('platform', {
                type: 'string',
                default: 'linux/amd64',
                describe:
                  'linux/amd64 or linux/arm64: the run image platform the package carries Node and tini for',
              }),
          (args) =>
            choose(async () => {
              const { runBuildpackPackage } = await import('./commands/buildpack.ts');
              return runBuildpackPackage({ outDir: args['out-dir'], platform: args.platform }, io);
            }),
        )
        .demandCommand(
          1,
          'Name a buildpack subcommand, for example: hubify buildpack package ./hubify-buildpack',
        ),
    )
    .command(
      'inspect <image>',
      'Show what hubify finds in a local image (user, libc, apps and why) without running it',
      (inspect) =>
        inspect
          .positional('image', {
            type: 'string',
            demandOption: true,
            describe: 'Local image, e.g. rocker/rstudio:4.4',
          })
          .option('json', { type: 'boolean', default: false, describe: 'Print the facts as JSON on stdout' }),
      (args) =>
        choose(async () => {
          const { runInspect } = await import('./commands/inspect.ts');
          return runInspect({ image: args.image, json: args.json }, io);
        }),
    )
    .command(
      'test <image>',
      'Prove an image is hub-ready: run it behind a real JupyterHub and check login, activity, apps, stop',
      (test) =>
        test
          .positional('image', {
            type: 'string',
            demandOption: true,
            describe: 'Local image to test, e.g. me/rstudio-hub:1',
          })
          .option('hub-image', {
            type: 'string',
            default: 'quay.io/jupyterhub/jupyterhub:5',
            describe: 'JupyterHub image to run the hub from (only a config file is mounted)',
          })
          .option('use-image-cmd', {
            type: 'boolean',
            default: false,
            describe:
              "Start the server with the image's CMD (as KubeSpawner) instead of jupyterhub-singleuser",
          })
          .option('json', {
            type: 'boolean',
            default: false,
            describe: 'Print the results as JSON on stdout',
          })
          .option('junit', { type: 'string', describe: 'Also write the results as JUnit XML to this file' })
          .option('keep', {
            type: 'boolean',
            default: false,
            describe: 'Leave hub and server running, print URL and credentials, clean up on Ctrl-C',
          })
          .option('timeout', {
            type: 'number',
            default: 120,
            describe: 'Seconds a server or app may take to start',
          }),
      (args) =>
        choose(async () => {
          const { runTest } = await import('./commands/test.ts');
          if (!Number.isFinite(args.timeout) || args.timeout <= 0)
            throw usageError(`--timeout must be a positive number of seconds, got ${String(args.timeout)}`);
          return runTest(
            {
              image: args.image,
              hubImage: args['hub-image'],
              useImageCmd: args['use-image-cmd'],
              json: args.json,
              junit: args.junit ?? null,
              keep: args.keep,
              timeoutSeconds: args.timeout,
            },
            io,
          );
        }),
    )
    .command(
      'runtime-image',
      'Build the runtime image: only /opt/hubify, for COPY --from=<it> /opt/hubify /opt/hubify in your Dockerfile',
      (runtimeImage) =>
        runtimeImage
          .option('tag', {
            alias: 't',
            type: 'string',
            demandOption: true,
            describe: 'Name of the runtime image, e.g. me/hubify-runtime:0.1.0',
          })
          .option('platform', {
            type: 'string',
            choices: ['linux/amd64', 'linux/arm64'],
            default: 'linux/amd64',
            describe: 'Platform of the Node and tini it holds',
          })
          .option('push', { type: 'boolean', default: false, describe: 'Push it to its registry' })
          .option('json', {
            type: 'boolean',
            default: false,
            describe: 'Print the result as JSON on stdout',
          }),
      (args) =>
        choose(async () => {
          const { runRuntimeImage } = await import('./commands/runtime-image.ts');
          return runRuntimeImage(
            { tag: args.tag, platform: args.platform, push: args.push, json: args.json },
            io,
          );
        }),
    )
    .command(
      'appendix',
      'Print the lines for repo2docker --appendix that make its image hub-ready with the hubify runtime',
      (appendix) =>
        appendix.option('runtime-image', {
          type: 'string',
          describe: 'The runtime image to copy /opt/hubify from (made with hubify runtime-image)',
        }),
      (args) =>
        choose(async () => {
          const { runAppendix } = await import('./commands/appendix.ts');
          const { DEFAULT_RUNTIME_IMAGE } = await import('./integrations/copy-from/copy-from-lines.ts');
          return runAppendix({ runtimeImage: args['runtime-image'] ?? DEFAULT_RUNTIME_IMAGE }, io);
        }),
    )
    .command(
      'profile <image>',
      'Print a KubeSpawner profile_list entry (z2jh singleuser.profileList) for an image, one choice per app',
      (profile) =>
        profile
          .positional('image', {
            type: 'string',
            demandOption: true,
            describe: 'Local image, e.g. me/rstudio-hub:1',
          })
          .option('display-name', {
            type: 'string',
            describe: 'The name users see (default: the image name)',
          })
          .option('image-ref', {
            type: 'string',
            describe: "What the spawner pulls (default: the image's registry digest, else IMAGE)",
          })
          .option('default', { type: 'boolean', default: false, describe: 'Mark the profile as the default' })
          .option('json', {
            type: 'boolean',
            default: false,
            describe: 'Print the entry as JSON instead of YAML',
          }),
      (args) =>
        choose(async () => {
          const { runProfile } = await import('./commands/profile.ts');
          return runProfile(
            {
              image: args.image,
              displayName: args['display-name'] ?? null,
              imageRef: args['image-ref'] ?? null,
              isDefault: args.default,
              json: args.json,
            },
            io,
          );
        }),
    )
    .demandCommand(1, 'Name a command, for example: hubify manifest validate hubify.yaml')
    .recommendCommands()
    .epilog(
      'Exit codes: 0 ok, 1 a check failed, 2 bad usage or invalid manifest, 3 a required part is missing, ' +
        '70 internal error.',
    )
    .fail((message: string | undefined, error: Error | undefined) => {
      // An exception from a builder is not a usage problem: let the top-level catch judge it.
      if (error !== undefined) throw error;
      const text = message ?? 'Invalid command line.';
      // recommendCommands() replaces "Unknown argument: x" with just the suggestion.
      throw usageError(text.startsWith('Did you mean') ? `Unknown command. ${text}` : text);
    });
}

/** Parses argv; resolves to the help/version text yargs produced, or to the command to run. */
function parse(argv: string[], io: CliIo): Promise<{ output: string; run: RunCommand | null }> {
  return new Promise((resolve, reject) => {
    let run: RunCommand | null = null;
    try {
      void commandLine(io, (chosen) => (run = chosen)).parse(argv, {}, (error, _args, output) => {
        if (error) reject(error);
        else resolve({ output, run });
      });
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

/** Runs `hubify` with `argv` (without node and script) and returns the exit code; never throws. */
const MANIFEST_SUBCOMMANDS = new Set(['validate', 'generate']);

/** `hubify manifest IMAGE` is short for `hubify manifest generate IMAGE`. */
export function expandShorthands(argv: readonly string[]): string[] {
  const [command, next] = argv;
  if (
    command === 'manifest' &&
    next !== undefined &&
    !next.startsWith('-') &&
    !MANIFEST_SUBCOMMANDS.has(next)
  ) {
    return ['manifest', 'generate', ...argv.slice(1)];
  }
  return [...argv];
}

export async function main(rawArgv: string[], ioOverrides: Partial<CliIo> = {}): Promise<number> {
  const argv = expandShorthands(rawArgv);
  const io: CliIo = { ...processIo(), ...ioOverrides };
  const debug = argv.includes('--debug') || io.env.HUBIFY_DEBUG === '1';
  try {
    const { output, run } = await parse(argv, io);
    if (run !== null) return await run();
    if (output !== '') io.stdout(`${output}\n`);
    return EXIT.OK;
  } catch (error) {
    if (error instanceof HubifyError) {
      io.stderr(error.toText());
      return error.exitCode;
    }
    io.stderr(formatInternalError(error, { debug, version: VERSION }));
    return EXIT.INTERNAL;
  }
}

if (isMainModule(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
