import { join, resolve } from 'node:path';
import type { Args } from './args';
import { UsageError } from './errors';
import { MANIFEST_FILE, renderFiles } from './files';
import { loadDeclarations } from './load';
import { display, readIfExists, readManifest, removeFile, writeAtomically } from './outdir';
import { runPromtool } from './promtool';

export interface Io {
  readonly cwd: string;
  out(line: string): void;
}

async function plan(args: Args, io: Io) {
  const services = await loadDeclarations(args.module, io.cwd);
  const files = renderFiles(services, args.runbookBaseUrl ? { runbookBaseUrl: args.runbookBaseUrl } : {});
  const out = resolve(io.cwd, args.out);
  const previous = readManifest(out);
  const orphans = previous.filter((path) => !files.has(path) && readIfExists(join(out, path)) !== undefined);
  return { services, files, out, previous, orphans };
}

/** Writes every file that differs, removes the orphans; refuses, whole, to overwrite a file it did not write. */
export async function generate(args: Args, io: Io): Promise<number> {
  const { services, files, out, previous, orphans } = await plan(args, io);
  const changed = [...files].filter(([path, content]) => readIfExists(join(out, path)) !== content);
  const foreign = changed.filter(([path]) => path !== MANIFEST_FILE && !previous.includes(path) && readIfExists(join(out, path)) !== undefined);
  if (foreign.length > 0) {
    throw new UsageError(
      `nothing written: ${foreign.map(([path]) => display(args.out, path)).join(', ')} already exist${foreign.length === 1 ? 's' : ''} and ${foreign.length === 1 ? 'was' : 'were'} not written by bulwark generate; move ${foreign.length === 1 ? 'it' : 'them'} away or choose another --out`,
    );
  }
  for (const [path, content] of changed) {
    if (path === MANIFEST_FILE) continue;
    writeAtomically(join(out, path), content);
    io.out(`wrote ${display(args.out, path)}`);
  }
  for (const path of orphans) {
    removeFile(out, path);
    io.out(`removed ${display(args.out, path)} (no declaration produces it any more)`);
  }
  // The manifest last: a run cut short leaves the old one, which still lists every file it may remove.
  writeAtomically(join(out, MANIFEST_FILE), files.get(MANIFEST_FILE)!);
  const unchanged = files.size - changed.length;
  io.out(`${services.map((s) => s.name).join(', ')}: ${changed.filter(([p]) => p !== MANIFEST_FILE).length} written, ${unchanged} unchanged, ${orphans.length} removed in ${args.out}`);
  return 0;
}

/** Exit 1 listing every stale, missing or orphaned file, or when promtool fails; 0 otherwise. */
export async function check(args: Args, io: Io): Promise<number> {
  const { files, out, orphans } = await plan(args, io);
  const problems: string[] = [];
  for (const [path, content] of files) {
    const current = readIfExists(join(out, path));
    if (current === undefined) problems.push(`missing: ${display(args.out, path)}`);
    else if (current !== content) problems.push(`stale: ${display(args.out, path)}`);
  }
  for (const path of orphans) problems.push(`orphaned: ${display(args.out, path)} (no declaration produces it any more)`);
  if (problems.length > 0) {
    for (const p of problems) io.out(p);
    io.out(`${problems.length} file${problems.length === 1 ? '' : 's'} out of date: run bulwark generate ${args.module} --out ${args.out} and commit the result`);
    return 1;
  }
  io.out(`${files.size} files in ${args.out} are up to date`);
  const paths = [...files.keys()];
  const promtool = runPromtool(out, paths.filter((p) => p.endsWith('.rules.yml')), paths.filter((p) => p.endsWith('.test.yml')));
  if (!promtool.ran) {
    io.out('promtool not found on PATH: skipped promtool check rules and promtool test rules');
    return 0;
  }
  if (!promtool.ok) {
    io.out(promtool.output.trimEnd());
    io.out('promtool failed on the generated files');
    return 1;
  }
  io.out('promtool check rules and promtool test rules passed');
  return 0;
}
