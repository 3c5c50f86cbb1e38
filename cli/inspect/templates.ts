/**
 * App templates (templates/apps/<template>.json): manifest app entries with `${name}`-style template
 * values that `hubify` fills at build time (executable paths, app directories). The manifest's own
 * `{port}`-style placeholders are left for the runtime. Imported statically, so the bundle carries
 * them. See templates/README.md.
 */
import type { AppTemplateName } from '../image/image-facts.ts';
import codeServer from '../../templates/apps/code-server.json' with { type: 'json' };
import desktop from '../../templates/apps/desktop.json' with { type: 'json' };
import jupyterServer from '../../templates/apps/jupyter-server.json' with { type: 'json' };
import jupyterlab from '../../templates/apps/jupyterlab.json' with { type: 'json' };
import notebook from '../../templates/apps/notebook.json' with { type: 'json' };
import rstudio from '../../templates/apps/rstudio.json' with { type: 'json' };
import shinyApp from '../../templates/apps/shiny-app.json' with { type: 'json' };
import shinyServer from '../../templates/apps/shiny-server.json' with { type: 'json' };

/** Every template, by the name `DetectedApp.template` uses. */
export const APP_TEMPLATES: Readonly<Record<AppTemplateName, Readonly<Record<string, unknown>>>> = {
  rstudio,
  jupyterlab,
  notebook,
  'jupyter-server': jupyterServer,
  'code-server': codeServer,
  'shiny-app': shinyApp,
  'shiny-server': shinyServer,
  desktop,
};

export const APP_TEMPLATE_NAMES = Object.keys(APP_TEMPLATES) as AppTemplateName[];

/** `${name}` is a template value; `$${` writes a literal `${`. */
const TEMPLATE_VALUE = /\$\$\{|\$\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/** Text the runtime would read as a placeholder or an escaped brace (`{port}`, `{{`, `}}`). */
const PLACEHOLDER_LIKE = /\{\{|\}\}|\{[A-Za-z_][A-Za-z0-9_]*\}/;

/** Fields whose text the runtime expands placeholders in. */
function expandsPlaceholders(path: readonly (string | number)[]): boolean {
  const [field] = path;
  return field === 'command' || field === 'environment' || field === 'cwd' || field === 'requestHeaders';
}

/** The template value names a template uses, sorted. */
export function templateValueNames(template: unknown): string[] {
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (typeof node === 'string') {
      for (const match of node.matchAll(TEMPLATE_VALUE)) if (match[1] !== undefined) names.add(match[1]);
    } else if (Array.isArray(node)) {
      node.forEach(walk);
    } else if (typeof node === 'object' && node !== null) {
      Object.values(node).forEach(walk);
    }
  };
  walk(template);
  return [...names].sort();
}

export interface FilledTemplate {
  /** The app entry with every template value replaced (placeholders such as `{port}` kept). */
  app: Record<string, unknown>;
  /** Template values the template uses but `values` lacks (left in place as written). */
  missing: string[];
  /** Values that cannot be used as given, e.g. a path holding `{port}` where the runtime expands it. */
  problems: string[];
}

/**
 * Fills a template: every `${name}` in its strings becomes `values[name]`, verbatim. A value that would
 * land in a placeholder-expanding field (command, environment, cwd, requestHeaders) and looks like a
 * placeholder is reported, not escaped: the runtime and the loader do not agree on `{{` escapes.
 */
export function fillTemplate(
  template: AppTemplateName | Readonly<Record<string, unknown>>,
  values: Readonly<Record<string, string>>,
): FilledTemplate {
  const source = typeof template === 'string' ? APP_TEMPLATES[template] : template;
  const missing = new Set<string>();
  const problems: string[] = [];
  const fill = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') {
      return node.replace(TEMPLATE_VALUE, (whole, name: string | undefined) => {
        if (name === undefined) return '${';
        const value = values[name];
        if (value === undefined) {
          missing.add(name);
          return whole;
        }
        if (expandsPlaceholders(path) && PLACEHOLDER_LIKE.test(value)) {
          problems.push(
            `the value of ${name} (${JSON.stringify(value)}) holds braces the runtime would read as a placeholder`,
          );
        }
        return value;
      });
    }
    if (Array.isArray(node)) return node.map((item, index) => fill(item, [...path, index]));
    if (typeof node === 'object' && node !== null) {
      return Object.fromEntries(
        Object.entries(node).map(([key, value]) => [key, fill(value, [...path, key])]),
      );
    }
    return node;
  };
  const app = fill(source, []) as Record<string, unknown>;
  return { app, missing: [...missing].sort(), problems };
}
