/**
 * `hubify appendix [--runtime-image NAME]`: prints the Dockerfile lines for `repo2docker --appendix`
 * that make the image repo2docker builds JupyterHub-ready with the hubify runtime
 * (cli/integrations/repo2docker/appendix.ts says what they do and why). Exit 0; 2 for a bad name.
 */
import type { CliIo } from '../output.ts';
import { appendixSnippet } from '../integrations/repo2docker/appendix.ts';

export function runAppendix(options: { runtimeImage: string }, io: CliIo): Promise<number> {
  io.stdout(appendixSnippet(options.runtimeImage));
  return Promise.resolve(0);
}
