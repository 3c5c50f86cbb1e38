/**
 * The `{name}` placeholders allowed in an app's `command`, `environment`, `cwd` and `requestHeaders`.
 * One syntax for the loader (which rejects unknown names) and the runtime (which expands them):
 * `{port}` is a placeholder, `{{` and `}}` are literal braces, any other brace is literal text.
 */
import { PLACEHOLDER_NAMES, type PlaceholderValues } from '../proxy/app-spec.ts';

/** Matches `{{`, `}}` or `{identifier}`; group 1 is the identifier. */
const TOKEN = /\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export function isPlaceholderName(name: string): name is keyof PlaceholderValues {
  return (PLACEHOLDER_NAMES as readonly string[]).includes(name);
}

/** Every `{identifier}` used in `text`, known or not, in order of appearance. */
export function placeholdersIn(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(TOKEN)) {
    if (match[1] !== undefined) names.push(match[1]);
  }
  return names;
}

/** Replaces known placeholders with their values and `{{`/`}}` with single braces; leaves the rest. */
export function expandPlaceholders(text: string, values: PlaceholderValues): string {
  return text.replace(TOKEN, (token, name: string | undefined) => {
    if (name === undefined) return token[0] ?? '';
    return isPlaceholderName(name) ? values[name] : token;
  });
}
