/**
 * `hubify manifest validate FILE [--json]`: load a manifest, print every problem (or "valid" and any
 * warnings). Exit 0 when valid, 2 when invalid, 3 when the file is missing or unreadable.
 */
import { resolve } from 'node:path';
import {
  formatManifestIssues,
  formatManifestWarnings,
  loadManifestFile,
  type ManifestResult,
} from '../../schemas/manifest.ts';
import { EXIT, HubifyError } from '../errors.ts';
import type { CliIo } from '../output.ts';

export interface ManifestValidateOptions {
  /** The manifest path as given on the command line (relative to `io.cwd`). */
  file: string;
  json: boolean;
}

function jsonReport(file: string, result: ManifestResult): string {
  const report = result.ok
    ? { file, valid: true, issues: [], warnings: result.warnings, manifest: result.manifest }
    : {
        file,
        valid: false,
        code: 'HUBIFY_MANIFEST_INVALID',
        issues: result.issues,
        warnings: result.warnings,
      };
  // A missing property has no value; say null rather than dropping the key.
  return `${JSON.stringify(report, (key, value: unknown) => (key === 'value' && value === undefined ? null : value), 2)}\n`;
}

export async function runManifestValidate(options: ManifestValidateOptions, io: CliIo): Promise<number> {
  const result = await loadManifestFile(resolve(io.cwd, options.file));
  const unreadable = result.ok
    ? undefined
    : result.issues.find(
        (issue) => issue.code === 'HUBIFY_MANIFEST_NOT_FOUND' || issue.code === 'HUBIFY_MANIFEST_UNREADABLE',
      );

  if (options.json) {
    io.stdout(jsonReport(options.file, result));
    if (result.ok) return EXIT.OK;
    return unreadable === undefined ? EXIT.USAGE : EXIT.MISSING;
  }

  if (unreadable !== undefined) {
    throw new HubifyError({
      code: unreadable.code,
      message: `cannot read the manifest ${options.file}: it ${unreadable.message}`,
      hint: unreadable.hint,
      exitCode: EXIT.MISSING,
    });
  }
  if (!result.ok) {
    io.stderr(formatManifestIssues(result.issues, options.file));
    io.stderr(formatManifestWarnings(result.warnings, options.file));
    return EXIT.USAGE;
  }
  const names = result.manifest.apps.map((app) => app.name);
  const apps =
    names.length === 0
      ? 'no apps'
      : `${names.length} app${names.length === 1 ? '' : 's'}: ${names.join(', ')}`;
  io.stdout(`hubify: ${options.file} is valid (${apps})\n`);
  io.stderr(formatManifestWarnings(result.warnings, options.file));
  return EXIT.OK;
}
