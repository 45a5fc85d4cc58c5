/**
 * One Markdown runbook per alert, shipped with this package (`runbooks/<AlertName>.md`). Every
 * alert's `runbook_url` is `<base><AlertName>.md`; the default base `runbooks/` is relative to the
 * folder holding the rule file, which is where `bulwark generate` writes the runbooks, so the
 * links resolve in a pull request and a rule file never names a network host. A team that
 * publishes its runbooks elsewhere passes its own base (an absolute URL).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const RUNBOOK_BASE_URL = 'runbooks/';

/** The runbooks' folder in this package; the same path from src/ and dist/. */
const RUNBOOKS_DIR = join(__dirname, '..', 'runbooks');

/** The runbooks' index, written next to them. */
export const RUNBOOKS_INDEX = 'README.md';

export function runbookUrl(alert: string, base: string = RUNBOOK_BASE_URL): string {
  return `${base.endsWith('/') ? base : `${base}/`}${alert}.md`;
}

/** The runbook of one alert (or the index, `README.md`), as Markdown. */
export function runbook(name: string): string {
  return readFileSync(join(RUNBOOKS_DIR, name.endsWith('.md') ? name : `${name}.md`), 'utf8');
}
