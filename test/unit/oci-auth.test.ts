// WWW-Authenticate challenges as registries send them (cli/oci/auth-challenge.ts), and the token URL a
// Bearer challenge leads to.
import { describe, expect, it } from 'vitest';
import { parseAuthChallenges, tokenUrl } from '../../cli/oci/auth-challenge.ts';

describe('parseAuthChallenges', () => {
  it('reads a Docker Hub-style Bearer challenge with realm, service and scope', () => {
    const [challenge, ...rest] = parseAuthChallenges(
      'Bearer realm="https://auth.example.test/token",service="registry.example.test",scope="repository:library/debian:pull"',
    );
    expect(rest).toEqual([]);
    expect(challenge).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example.test/token',
        service: 'registry.example.test',
        scope: 'repository:library/debian:pull',
      },
    });
  });

  it('reads Basic, bare tokens, spaces around "=" and escaped quotes', () => {
    expect(parseAuthChallenges('Basic realm="Registry \\"Realm\\""')).toEqual([
      { scheme: 'basic', params: { realm: 'Registry "Realm"' } },
    ]);
    expect(parseAuthChallenges('bearer realm = https://a.test/t , service=reg')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://a.test/t', service: 'reg' } },
    ]);
  });

  it('splits several challenges in one header, and scopes with commas stay whole inside quotes', () => {
    const challenges = parseAuthChallenges(
      'Basic realm="r", Bearer realm="https://a.test/token",scope="repository:x/y:pull,push"',
    );
    expect(challenges.map((challenge) => challenge.scheme)).toEqual(['basic', 'bearer']);
    expect(challenges[1]?.params.scope).toBe('repository:x/y:pull,push');
  });

  it('gives nothing for an empty or malformed header', () => {
    expect(parseAuthChallenges('')).toEqual([]);
    expect(parseAuthChallenges('realm="x"')).toEqual([]);
  });
});

describe('tokenUrl', () => {
  const challenge = {
    scheme: 'bearer',
    params: { realm: 'https://a.test/token?x=1', service: 'reg', scope: 'repository:a/b:pull' },
  };

  it('asks the realm for the scopes wanted, with the service', () => {
    const url = tokenUrl(challenge, ['repository:a/b:pull,push', 'repository:c/d:pull']);
    expect(url.origin + url.pathname).toBe('https://a.test/token');
    expect(url.searchParams.get('x')).toBe('1');
    expect(url.searchParams.get('service')).toBe('reg');
    expect(url.searchParams.getAll('scope')).toEqual(['repository:a/b:pull,push', 'repository:c/d:pull']);
  });

  it("uses the challenge's own scope when none is wanted, and refuses a challenge without realm", () => {
    expect(tokenUrl(challenge, []).searchParams.getAll('scope')).toEqual(['repository:a/b:pull']);
    expect(() => tokenUrl({ scheme: 'bearer', params: {} }, [])).toThrow(/no realm/);
  });
});
