import { loadManifestFile, formatManifestIssues, formatManifestWarnings } from './schemas/manifest.ts';
for (const f of process.argv.slice(2)) {
const r = await loadManifestFile(f);
if (!r.ok) { process.stdout.write(formatManifestIssues(r.issues, f)); console.log(JSON.stringify(r.issues, null, 1)); }
else console.log(JSON.stringify(r.manifest, null, 1));
process.stdout.write(formatManifestWarnings(r.warnings, f));
}
