/**
 * Where the CLI's bytes go. Commands write through a `CliIo` instead of `process`, so tests can run
 * `main()` in-process and read exactly what a person would see.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Directory that relative paths on the command line are resolved against. */
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    cwd: process.cwd(),
    env: process.env,
  };
}
