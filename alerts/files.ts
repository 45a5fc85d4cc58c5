/** The alert files committed for each declared service: rule files and their promtool tests. */
import type { ServiceDeclaration } from '@bulwark/runtime';
import { RULE_TESTS_DIR, renderRuleTestFile, ruleTestFileName } from './promtool-tests';
import { RULES_DIR, renderRuleFile, ruleFileName } from './render';

export function generatedAlertFiles(services: readonly ServiceDeclaration[]): { path: string; content: string }[] {
  return services.flatMap((service) => [
    { path: `${RULES_DIR}/${ruleFileName(service)}`, content: renderRuleFile(service) },
    { path: `${RULE_TESTS_DIR}/${ruleTestFileName(service)}`, content: renderRuleTestFile(service) },
  ]);
}
