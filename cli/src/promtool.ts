import { spawnSync } from 'node:child_process';

export type PromtoolResult = { readonly ran: false } | { readonly ran: true; readonly ok: boolean; readonly output: string };

/** `promtool check rules` and `promtool test rules` on the given files, run in `cwd`; skipped when promtool is not on PATH. */
export function runPromtool(cwd: string, ruleFiles: readonly string[], testFiles: readonly string[]): PromtoolResult {
  const version = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (version.error) return { ran: false };
  let output = '';
  let ok = true;
  for (const args of [['check', 'rules', ...ruleFiles], ['test', 'rules', ...testFiles]]) {
    if (args.length === 2) continue;
    const run = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 300_000 });
    output += `$ promtool ${args.join(' ')}\n${run.stdout}${run.stderr}`;
    if (run.status !== 0) ok = false;
  }
  return { ran: true, ok, output };
}
