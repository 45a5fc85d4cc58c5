// Bundles the dashboards upload handler (src/aws/dashboards-handler) into one JavaScript file,
// lambda/dashboards-handler/index.js: the package ships it and synth copies it, so consumers need
// no bundler. The file is committed; `--check` exits 1 when it differs from a fresh bundle.
// An unchanged bundle is not rewritten, so a build never disturbs a synth reading it.
import { build } from 'esbuild';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'lambda', 'dashboards-handler', 'index.js');
const check = process.argv.includes('--check');

const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/aws/dashboards-handler/index.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  // The Lambda Node.js runtime provides the AWS SDK v3.
  external: ['@aws-sdk/*'],
  banner: { js: '// The dashboards upload handler, bundled from src/aws/dashboards-handler by `npm run build:handler`. Do not edit by hand.' },
  write: false,
  logLevel: 'warning',
});
const fresh = result.outputFiles[0].text;
let current;
try {
  current = readFileSync(outfile, 'utf8');
} catch {
  current = undefined;
}

if (check) {
  if (current !== fresh) {
    console.error(`${outfile} is ${current === undefined ? 'missing' : 'stale'}: run \`npm run build:handler -w @bulwark/constructs\` and commit it`);
    process.exit(1);
  }
} else if (current !== fresh) {
  writeFileSync(`${outfile}.tmp`, fresh);
  renameSync(`${outfile}.tmp`, outfile);
  console.log("wrote lambda/dashboards-handler/index.js");
}
