/**
 * Where each alert's runbook lives. The default is the repository path of the runbooks
 * (`docs/runbooks/<AlertName>.md`), so a rule file never names a network host; a deployment that
 * publishes the runbooks elsewhere passes its own base.
 */
export const RUNBOOK_BASE_URL = 'docs/runbooks/';

/** Repository-relative directory holding one Markdown runbook per alert name. */
export const RUNBOOK_DIR = 'docs/runbooks';

export function runbookUrl(alert: string, base: string = RUNBOOK_BASE_URL): string {
  return `${base.endsWith('/') ? base : `${base}/`}${alert}.md`;
}
