/**
 * Value mappings for the gauges that encode a state as a number, so panels show names and
 * colours instead of 1..5 or 0/1/2.
 */
import { LEVEL, LEVEL_NAMES } from '@bulwark/runtime/declaration';
import type { ValueMapping } from '@grafana/grafana-foundation-sdk/dashboard';
import { valueMappings } from './panels';

const LEVEL_COLORS: Readonly<Record<(typeof LEVEL_NAMES)[number], string>> = {
  OPTIMAL: 'green',
  DEGRADED: 'yellow',
  LIMITED: 'orange',
  MINIMAL: 'red',
  EMERGENCY: 'dark-red',
};

/** `degradation_level`: 1 OPTIMAL … 5 EMERGENCY. */
export function levelMappings(): ValueMapping[] {
  return valueMappings(LEVEL_NAMES.map((name) => ({ value: LEVEL[name], text: name, color: LEVEL_COLORS[name] })));
}

/** `circuit_breaker_state` values, as the catalog documents them. */
export const BREAKER_STATE = { closed: 0, open: 1, halfOpen: 2 } as const;

export function breakerStateMappings(): ValueMapping[] {
  return valueMappings([
    { value: BREAKER_STATE.closed, text: 'closed', color: 'green' },
    { value: BREAKER_STATE.open, text: 'open', color: 'red' },
    { value: BREAKER_STATE.halfOpen, text: 'half-open', color: 'yellow' },
  ]);
}

/** `dependency_up`: 1 healthy, 0 not. */
export function upMappings(): ValueMapping[] {
  return valueMappings([
    { value: 1, text: 'up', color: 'green' },
    { value: 0, text: 'down', color: 'red' },
    { value: -1, text: 'disabled', color: 'text' },
  ]);
}

/** `feature_flag_enabled`: 1 on, 0 off (a switched-off capability is a pass-through). */
export function flagMappings(): ValueMapping[] {
  return valueMappings([
    { value: 1, text: 'on', color: 'green' },
    { value: 0, text: 'off', color: 'orange' },
  ]);
}
