/**
 * `WWW-Authenticate` challenges (RFC 7235) as registries send them: `Bearer realm="...",
 * service="...",scope="..."` (the distribution token flow, Docker Hub-style) or `Basic realm="..."`.
 * Several challenges may share one header (joined with commas), and parameter values may be quoted
 * strings with backslash escapes or bare tokens.
 */

export interface AuthChallenge {
  /** Lower-case scheme: "bearer", "basic", ... */
  scheme: string;
  /** Parameters with lower-case names. */
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

/** Every challenge in a WWW-Authenticate header value, in order. */
export function parseAuthChallenges(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let rest = header.trim();
  let current: AuthChallenge | null = null;
  while (rest.length > 0) {
    rest = rest.replace(/^[\s,]+/, '');
    const token = TOKEN.exec(rest)?.[0];
    if (token === undefined) break;
    const after = rest.slice(token.length);
    const param = /^\s*=\s*/.exec(after);
    if (param === null || current === null) {
      // A new scheme (a token not followed by "=", or the first token of the header).
      if (param !== null && current === null) break; // "a=b" with no scheme before it: not a challenge
      current = { scheme: token.toLowerCase(), params: {} };
      challenges.push(current);
      rest = after;
      continue;
    }
    let value: string;
    rest = after.slice(param[0].length);
    if (rest.startsWith('"')) {
      let index = 1;
      value = '';
      while (index < rest.length && rest[index] !== '"') {
        if (rest[index] === '\\' && index + 1 < rest.length) index += 1;
        value += rest[index];
        index += 1;
      }
      rest = rest.slice(index + 1);
    } else {
      value = /^[^\s,]*/.exec(rest)?.[0] ?? '';
      rest = rest.slice(value.length);
    }
    current.params[token.toLowerCase()] = value;
  }
  return challenges;
}

/**
 * The token request URL for a Bearer challenge: the realm with `service` and one `scope` parameter per
 * scope wanted (the challenge's own scope when none is given).
 */
export function tokenUrl(challenge: AuthChallenge, scopes: readonly string[]): URL {
  const realm = challenge.params.realm;
  if (realm === undefined || realm === '') throw new Error('the Bearer challenge names no realm');
  const url = new URL(realm);
  if (challenge.params.service !== undefined) url.searchParams.set('service', challenge.params.service);
  const wanted =
    scopes.length > 0 ? scopes : challenge.params.scope === undefined ? [] : [challenge.params.scope];
  for (const scope of wanted) url.searchParams.append('scope', scope);
  return url;
}
