/**
 * Disabled is not down: the example service started without its optional OPENAI_API_KEY (unset,
 * or blank as a secret store that always injects every secret would leave it) stays OPTIMAL,
 * reports `ai` as disabled, exports no dependency_up for it (so no DependencyDown can fire), says
 * at start which capability is off and why, and its AI route answers with the declared fallback.
 */
import { apiKeyHeaders } from '@bulwark/harness';
import { startStack, type Stack } from '../support/stack';

jest.setTimeout(180_000);

describe('the example service without OPENAI_API_KEY', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.destroy());

  it.each([['an unset key', undefined], ['a blank key', '  ']] as const)('treats %s as a disabled dependency, not an outage', async (_how, value) => {
    await stack.service?.stop();
    const from = stack.logs.length;
    const service = await stack.startService(undefined, { OPENAI_API_KEY: value as string });
    const url = `http://127.0.0.1:${service.port}`;
    const admin = service.adminUrl!;
    const runtime = service.runtime;

    expect(runtime.degradation.levelName).toBe('OPTIMAL');
    const report = (await (await fetch(`${admin}/health`)).json()) as { level_name: string; dependencies: Record<string, { state: string; disabledReason?: string }> };
    expect(report.level_name).toBe('OPTIMAL');
    expect(report.dependencies.ai).toMatchObject({ state: 'disabled', disabledReason: 'OPENAI_API_KEY is not set; set it to enable ai' });
    expect(report.dependencies.db!.state).toBe('healthy');
    const ready = (await (await fetch(`${url}/health/ready`)).json()) as { dependencies: Record<string, { state: string }> };
    expect(ready.dependencies.ai!.state).toBe('disabled');

    // Checking every dependency now leaves it alone: no check runs for it, the level does not move.
    await runtime.degradation.checkNow();
    expect(runtime.degradation.levelName).toBe('OPTIMAL');
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toMatch(/^dependency_configured\{dependency="ai"\} 0$/m);
    expect(metrics).toMatch(/^dependency_configured\{dependency="db"\} 1$/m);
    expect(metrics).not.toMatch(/^dependency_up\{dependency="ai"\}/m);
    expect(metrics).toMatch(/^degradation_level 1$/m);

    // The capability is off, with the reason; the AI route answers with its declared fallback.
    const guard = runtime.guard('ai');
    expect(guard.allowed).toBe(false);
    expect(guard.allowed ? '' : guard.reason).toContain('ai (openai) disabled: OPENAI_API_KEY is not set');
    const created = (await (await fetch(`${url}/providers`, { method: 'POST', headers: { 'content-type': 'application/json', ...apiKeyHeaders(stack.apiKey) }, body: JSON.stringify({ name: 'Acme', category: 'logistics', city: 'Rosario' }) })).json()) as { id: number };
    const summary = (await (await fetch(`${url}/providers/${created.id}/summary`)).json()) as { source: string };
    expect(summary.source).toBe('fallback');

    const startLines = stack.logs.slice(from).filter((l) => String(l.msg).startsWith('disabled: '));
    expect(startLines.map((l) => l.msg)).toEqual(['disabled: ai (OPENAI_API_KEY is not set; set it to enable ai); capabilities off: ai (ai: OPENAI_API_KEY is not set; set it to enable ai)']);
  });
});
