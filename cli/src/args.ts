import { UsageError } from './errors';

export const USAGE = `Usage:
  bulwark generate <module> [--out <dir>] [--runbook-url <base>]
  bulwark check <module> [--out <dir>] [--runbook-url <base>]

<module>   a .ts, .js or .mjs file, or a folder with an index, exporting service declarations
           (values returned by defineService)
--out      where the generated files go (default: monitoring)
--runbook-url
           base of every alert's runbook_url (default: runbooks/, next to the rule files,
           where the runbooks are written)

generate   writes each service's rule file, promtool tests, dashboards and the runbooks,
           and removes files it wrote before that no declaration produces any more
check      exits 1 listing each stale, missing or orphaned file; runs promtool check rules and
           promtool test rules on the files when promtool is on PATH`;

export type Command = 'generate' | 'check';

export interface Args {
  readonly command: Command;
  readonly module: string;
  readonly out: string;
  readonly runbookBaseUrl?: string;
}

const OPTIONS = ['--out', '--runbook-url'] as const;

/** Parses argv (without node and the script); throws UsageError on anything it does not understand. */
export function parseArgs(argv: readonly string[]): Args | 'help' {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h') || argv[0] === 'help') return 'help';
  const [command, ...rest] = argv;
  if (command !== 'generate' && command !== 'check') throw new UsageError(`unknown command "${command}"; use generate or check`);
  const values: Partial<Record<(typeof OPTIONS)[number], string>> = {};
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const [flag, inline] = arg.startsWith('--') ? (arg.split(/=(.*)/s, 2) as [string, string | undefined]) : [arg, undefined];
    if ((OPTIONS as readonly string[]).includes(flag)) {
      const value = inline ?? rest[++i];
      if (value === undefined || value === '') throw new UsageError(`${flag} needs a value`);
      values[flag as (typeof OPTIONS)[number]] = value;
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option "${arg}"; the options are ${OPTIONS.join(', ')}`);
    } else positional.push(arg);
  }
  if (positional.length === 0) throw new UsageError(`${command} needs the module that exports your service declarations, e.g. bulwark ${command} lib/services`);
  if (positional.length > 1) throw new UsageError(`${command} takes one module, got ${positional.length}: ${positional.join(', ')}`);
  return {
    command,
    module: positional[0]!,
    out: values['--out'] ?? 'monitoring',
    ...(values['--runbook-url'] ? { runbookBaseUrl: values['--runbook-url'] } : {}),
  };
}
