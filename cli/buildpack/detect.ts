/**
 * bin/detect. The buildpack adds the hub runtime to any app, so it passes (exit 0) unless the user
 * turned it off (BP_HUBIFY_ENABLED=false) or the run image cannot run the runtime (CNB_TARGET_*: not
 * linux, another architecture than the package's, musl): then it fails (exit 100, "not for this app").
 * The build plan it writes provides and requires `hubify`, so it passes alone and earlier buildpacks can
 * require `hubify` too (with `apps` metadata, see settings.ts).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'smol-toml';
import { detectContext, targetMismatch, type DetectContext } from './cnb-env.ts';
import { PACKAGE_PATHS, isPayloadInfo, type PayloadInfo } from './payload.ts';
import { readProcfile } from './process-types.ts';
import { isDisabled, PLAN_ENTRY, platformSetting } from './settings.ts';

export const DETECT_PASS = 0;
export const DETECT_FAIL = 100;

export interface PhaseIo {
  info(line: string): void;
  warn(line: string): void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/** hubify/payload.json of the package (what it carries, for which architecture). */
export async function readPayloadInfo(buildpackDir: string): Promise<PayloadInfo> {
  const path = join(buildpackDir, PACKAGE_PATHS.info);
  const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (!isPayloadInfo(parsed))
    throw new Error(`${path} is not a hubify payload description: package the buildpack again.`);
  return parsed;
}

/** The build plan: provides and requires `hubify` (so the buildpack passes alone). */
export function buildPlanToml(version: string): string {
  return stringify({
    provides: [{ name: PLAN_ENTRY }],
    requires: [{ name: PLAN_ENTRY, metadata: { version } }],
  });
}

export async function detect(context: DetectContext, io: PhaseIo): Promise<number> {
  if (isDisabled(await platformSetting('BP_HUBIFY_ENABLED', io.env))) {
    io.info('hubify: BP_HUBIFY_ENABLED is false: not adding the hub runtime.');
    return DETECT_FAIL;
  }
  const payload = await readPayloadInfo(context.buildpackDir);
  const mismatch = targetMismatch(context.target, payload.arch);
  if (mismatch !== null) {
    io.info(`hubify: not for this build: ${mismatch}`);
    return DETECT_FAIL;
  }
  // Earlier buildpacks have not built yet, so only the Procfile can be read now. This only reports:
  // which process types become apps is decided at build.
  const { processes } = await readProcfile(context.appDir);
  io.info(
    `hubify: adds the hub runtime ${payload.hubifyVersion} (linux/${payload.arch})` +
      (processes.length === 0 ? '' : `; Procfile process types: ${processes.map((p) => p.type).join(', ')}`),
  );
  await writeFile(context.buildPlanPath, buildPlanToml(payload.hubifyVersion));
  return DETECT_PASS;
}

export async function runDetect(io: PhaseIo): Promise<number> {
  return detect(detectContext(io.env, io.cwd), io);
}
