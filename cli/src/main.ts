#!/usr/bin/env node
/**
 * `bulwark generate|check <module>`: a team's rule files, promtool tests, dashboards and runbooks,
 * generated from the service declarations its module exports, for review in pull requests and a
 * CI check that they are current. Exit codes: 0 done, 1 out of date or promtool failed, 2 misuse.
 */
import { parseArgs, USAGE } from './args';
import { check, generate } from './commands';
import { UsageError } from './errors';

async function main(argv: readonly string[]): Promise<number> {
  const io = { cwd: process.cwd(), out: (line: string) => process.stdout.write(`${line}\n`) };
  try {
    const args = parseArgs(argv);
    if (args === 'help') {
      io.out(USAGE);
      return 0;
    }
    return args.command === 'generate' ? await generate(args, io) : await check(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`bulwark: ${err.message}\n`);
      if (/^(unknown|.* needs|.* takes)/.test(err.message)) process.stderr.write(`\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bulwark: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 3;
  },
);
