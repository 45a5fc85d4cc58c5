/** Degradation levels (seed 004, corrected). Higher is worse; the value is what `degradation_level` reports. */
export const LEVEL = {
  OPTIMAL: 1,
  DEGRADED: 2,
  LIMITED: 3,
  MINIMAL: 4,
  EMERGENCY: 5,
} as const;

export type LevelName = keyof typeof LEVEL;
export type LevelValue = (typeof LEVEL)[LevelName];

export const LEVEL_NAMES: readonly LevelName[] = ['OPTIMAL', 'DEGRADED', 'LIMITED', 'MINIMAL', 'EMERGENCY'];

/** Levels a dependency's failure can cause (OPTIMAL is never an impact). */
export type ImpactLevel = Exclude<LevelName, 'OPTIMAL'>;
export const IMPACT_LEVELS: readonly ImpactLevel[] = ['DEGRADED', 'LIMITED', 'MINIMAL', 'EMERGENCY'];

export function levelName(value: number): LevelName {
  const name = LEVEL_NAMES[value - 1];
  if (!name) throw new RangeError(`degradation level ${value} is not one of 1..5`);
  return name;
}

/** Capabilities a route can ask the degradation manager for. */
export const CAPABILITY = {
  /** Writes to the source of truth: refused from MINIMAL on. */
  writes: 'writes',
  /** AI features: refused (answer with the declared fallback) from LIMITED on or when the AI dependency is down. */
  ai: 'ai',
  /** The read cache: bypassed from DEGRADED on or when the cache dependency is down. */
  cache: 'cache',
  /** Business routes at all: refused at EMERGENCY. */
  business: 'business',
} as const;

export type Capability = keyof typeof CAPABILITY;
