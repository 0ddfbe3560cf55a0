import { CONDITION_TYPES, type Condition, type ConditionType } from '../crd/iotpipeline.js';

export interface ConditionState {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** The conditions Ready sums up, in the order a pipeline needs them. */
export const PART_TYPES = [
  'DependenciesReady',
  'TopicReady',
  'SchemaRegistered',
  'WorkloadsAvailable',
] as const;
export type PartType = (typeof PART_TYPES)[number];

/** The longest condition message kept (the API allows 32 KiB; describe output stays readable). */
const MESSAGE_MAX = 2048;

/**
 * Conditions per the API conventions: lastTransitionTime changes only when status changes;
 * observedGeneration says which spec the condition describes.
 */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  next: Partial<Record<ConditionType, ConditionState>>,
  generation: number,
  now: Date,
): Condition[] {
  const out: Condition[] = [];
  for (const type of CONDITION_TYPES) {
    const state = next[type];
    const before = previous?.find((c) => c.type === type);
    if (!state) {
      if (before) out.push(before);
      continue;
    }
    out.push({
      type,
      status: state.status,
      reason: state.reason,
      message:
        state.message.length > MESSAGE_MAX ? `${state.message.slice(0, MESSAGE_MAX - 3)}...` : state.message,
      observedGeneration: generation,
      lastTransitionTime:
        before && before.status === state.status
          ? before.lastTransitionTime
          : now.toISOString().replace(/\.\d+Z$/, 'Z'),
    });
  }
  return out;
}

/**
 * Ready is the conjunction of the others. Its reason is the first part that is False (a known
 * failure says more than a pending part), else the first that is not True yet.
 */
export function readyCondition(parts: Partial<Record<ConditionType, ConditionState>>): ConditionState {
  const failed = PART_TYPES.find((type) => parts[type]?.status === 'False');
  const pending = PART_TYPES.find((type) => parts[type]?.status !== 'True');
  const type = failed ?? pending;
  if (type === undefined) {
    return {
      status: 'True',
      reason: 'PipelineReady',
      message: 'dependencies found, topics ready, schema registered, workloads available',
    };
  }
  const part = parts[type];
  return {
    status: failed ? 'False' : 'Unknown',
    reason: part ? part.reason : 'Reconciling',
    message: part ? `${type}: ${part.message}` : `${type} not known yet`,
  };
}

/** False reasons that say something is under way, not that something failed. */
export const PROGRESS_REASONS: ReadonlySet<string> = new Set(['WorkloadsUnavailable']);

/** A condition that changed between two statuses: what an Event reports. */
export interface Transition {
  type: ConditionType;
  from?: Condition;
  to: Condition;
}

/**
 * The conditions whose status or reason changed. A condition's first report is a transition only
 * when it is False (a failure to tell at once): every new pipeline starts with most parts pending
 * or already True, and an Event for each would be noise (and, at hundreds of pipelines created
 * together, thousands of writes); the Created event says the pipeline was taken up.
 */
export function transitions(
  previous: readonly Condition[] | undefined,
  next: readonly Condition[],
): Transition[] {
  const out: Transition[] = [];
  for (const to of next) {
    const from = previous?.find((c) => c.type === to.type);
    if (from && from.status === to.status && from.reason === to.reason) continue;
    if (!from && (to.status !== 'False' || PROGRESS_REASONS.has(to.reason))) continue;
    out.push({ type: to.type as ConditionType, ...(from ? { from } : {}), to });
  }
  return out;
}
