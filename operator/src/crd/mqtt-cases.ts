/**
 * The filter-versus-simulator-prefix matrix both the unit test (TypeScript) and the validation
 * suite (the API server's CEL rule) run: wildcards at every position, prefixes of one to three
 * levels, a '$' prefix.
 */
export const SIMULATOR_PREFIXES = ['sim', 'iotpipe/sim', 'site1/sim', 'a/b/c', '$sys/sim'] as const;

export const TOPIC_FILTERS = [
  '#',
  '+',
  '+/+',
  '+/#',
  '+/+/#',
  '+/+/+',
  '+/sim/#',
  '+/sim/+',
  '+/sim',
  'site1/#',
  'site1/+',
  'site1/+/+',
  'site1/+/#',
  'site1/sim',
  'site1/sim/#',
  'site1/sim/+',
  'site1/sim/+/+',
  'site2/sim/#',
  'iotpipe/sim/#',
  'iotpipe/+/#',
  'sim/#',
  'sim/+',
  'sim/x',
  'a/+/c/+',
  'a/b/#',
  'a/b/c/#',
  '+/b/+/+',
  '$sys/#',
  '$sys/sim/+',
] as const;
