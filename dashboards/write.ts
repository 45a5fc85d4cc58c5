/**
 * Writes every declared service's dashboards under one folder and removes generated files
 * that no longer have a source (a dropped dashboard or service), so the folder is exactly
 * what the declarations produce.
 */
import { mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { ServiceDeclaration } from '@bulwark/runtime';
import { renderDashboards } from './render';

/** Where the committed dashboard JSON lives. */
export const GENERATED_DIR = join(__dirname, 'generated');

/** Every file the services produce, by path relative to the output folder (`/`-separated). */
export function renderAll(services: readonly ServiceDeclaration[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const service of services) {
    for (const [path, text] of Object.entries(renderDashboards(service))) {
      if (path in out) throw new Error(`two services render ${path}: service names must be unique`);
      out[path] = text;
    }
  }
  return out;
}

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
