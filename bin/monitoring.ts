/**
 * Writes every generated monitoring file of the example declarations (lib/services): rule files,
 * their promtool tests and the dashboards. Run with `npm run monitoring` and commit the result: a
 * test fails when the committed files are stale.
 */
import { mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { renderRuleFile, renderRuleTestFile, ruleFileName, ruleTestFileName } from '@bulwark/alerts';
import { renderAll } from '@bulwark/dashboards';
import type { ServiceDeclaration } from '@bulwark/runtime';
import { SERVICES } from '../lib/services';

const ROOT = join(__dirname, '..');

/** Repository-relative folders of the committed rule files and their promtool tests. */
export const RULES_DIR = 'alerts/generated';
export const RULE_TESTS_DIR = 'alerts/tests';

/** Repository-relative folder of the committed dashboards. */
export const DASHBOARDS_PATH = 'dashboards/generated';
export const DASHBOARDS_DIR = join(ROOT, DASHBOARDS_PATH);

/** A generated file: its repository-relative path and full content. */
export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
}

/** Each writer turns the declared services into the files it owns. */
export type Writer = (services: readonly ServiceDeclaration[]) => GeneratedFile[];

/** Rule files and their promtool tests. */
export function generatedAlertFiles(services: readonly ServiceDeclaration[]): GeneratedFile[] {
  return services.flatMap((service) => [
    { path: `${RULES_DIR}/${ruleFileName(service)}`, content: renderRuleFile(service) },
    {
      path: `${RULE_TESTS_DIR}/${ruleTestFileName(service)}`,
      content: renderRuleTestFile(service, { ruleFile: `../generated/${ruleFileName(service)}` }),
    },
  ]);
}

/** Every service's dashboard files, by repository-relative path. */
export function generatedDashboardFiles(services: readonly ServiceDeclaration[]): GeneratedFile[] {
  return Object.entries(renderAll(services)).map(([path, content]) => ({ path: `${DASHBOARDS_PATH}/${path}`, content }));
}

export const WRITERS: readonly Writer[] = [generatedAlertFiles, generatedDashboardFiles];

/** Paths of the `.json` files under `dir`, relative to it, `/`-separated, sorted. */
export function listGenerated(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const name of entries) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.json')) out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

export interface WriteResult {
  /** Files whose content changed or that were created. */
  readonly written: string[];
  readonly unchanged: string[];
  /** Generated files that no longer had a source. */
  readonly removed: string[];
}

export function writeDashboardFiles(outDir: string, services: readonly ServiceDeclaration[]): WriteResult {
  const files = renderAll(services);
  const result: WriteResult = { written: [], unchanged: [], removed: [] };
  for (const [path, text] of Object.entries(files)) {
    const full = join(outDir, ...path.split('/'));
    let current: string | undefined;
    try {
      current = readFileSync(full, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === text) {
      result.unchanged.push(path);
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
    result.written.push(path);
  }
  for (const path of listGenerated(outDir)) {
    if (path in files) continue;
    const full = join(outDir, ...path.split('/'));
    rmSync(full);
    result.removed.push(path);
    const parent = dirname(full);
    if (parent !== outDir && readdirSync(parent).length === 0) rmdirSync(parent);
  }
  return result;
}

function main(): void {
  for (const writer of WRITERS) {
    for (const file of writer(SERVICES)) {
      const path = join(ROOT, file.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, file.content);
      console.log(`wrote ${relative(ROOT, path)}`);
    }
  }
}

if (require.main === module) main();
