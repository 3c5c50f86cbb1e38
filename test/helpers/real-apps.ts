// Manifest entries for the real apps from Debian used by the integration tests: R Shiny and Jupyter
// Notebook 6. Shared so the API-level and the browser-level tests run exactly the same apps.
import { join } from 'node:path';
import { REPO_ROOT } from './hub.ts';

export const SHINY_APP_DIR = join(REPO_ROOT, 'test', 'fixtures', 'apps', 'shiny-hello');

/** The Shiny fixture app as a manifest entry (run with Debian's Rscript and r-cran-shiny). */
export function shinyApp(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'shiny',
    title: 'Shiny demo',
    description: 'An R Shiny app (Debian r-cran-shiny).',
    command: [
      'Rscript',
      '-e',
      `shiny::runApp('${SHINY_APP_DIR}', port = {port}, host = '127.0.0.1', launch.browser = FALSE)`,
    ],
    readiness: { timeout: 60 },
    launcher: { category: 'R' },
    ...overrides,
  };
}

/** The manifest entries for the real apps, shared with the browser test and the demo. */
export function realAppsManifest(): unknown {
  return {
    schemaVersion: 1,
    apps: [
      shinyApp(),
      {
        name: 'notebook',
        title: 'Jupyter Notebook',
        description: 'Classic Jupyter Notebook 6 (Debian jupyter-notebook).',
        command: [
          'jupyter-notebook',
          '--no-browser',
          '--ip=127.0.0.1',
          '--port={port}',
          '--NotebookApp.base_url={app_url}',
          '--NotebookApp.token=',
          '--NotebookApp.password=',
          '--NotebookApp.allow_remote_access=True',
          '--notebook-dir={home}',
          // Only because the test suite runs as root; images run apps as their non-root user.
          ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
        ],
        stripPrefix: false,
        readiness: { path: '/api', timeout: 60 },
        launcher: { category: 'Python', pathInfo: 'tree' },
      },
    ],
  };
}
