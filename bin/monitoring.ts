/**
 * Writes every generated monitoring file (alert rules and their promtool tests; dashboards add
 * their writer to WRITERS) for every declared service. Run with `npm run monitoring` and commit
 * the result: a test fails when the committed files are stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { ServiceDeclaration } from '@bulwark/runtime';
import { SERVICES } from '../lib/services';
import { generatedAlertFiles } from '../alerts/files';
import { generatedDashboardFiles } from '../dashboards';

/** A generated file: its repository-relative path and full content. */
export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
}

/** Each writer turns the declared services into the files it owns. */
export type Writer = (services: readonly ServiceDeclaration[]) => GeneratedFile[];

export const WRITERS: readonly Writer[] = [generatedAlertFiles, generatedDashboardFiles];

const ROOT = join(__dirname, '..');

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
