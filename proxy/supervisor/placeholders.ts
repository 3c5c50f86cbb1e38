import { PLACEHOLDER_NAMES, type PlaceholderValues } from '../app-spec.ts';

const PLACEHOLDER = /\{([a-z_]+)\}/g;

/**
 * Replaces `{port}`, `{unix_socket}`, `{base_url}`, `{app_url}`, `{user}` and `{home}`. Any other `{...}`
 * stays as written, because commands and env values legitimately carry braces (shell, JSON, R code).
 */
export function expandPlaceholders(text: string, values: PlaceholderValues): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => (isPlaceholderName(name) ? values[name] : whole));
}

function isPlaceholderName(name: string): name is keyof PlaceholderValues {
  return (PLACEHOLDER_NAMES as readonly string[]).includes(name);
}
