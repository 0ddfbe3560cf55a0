import type { Condition, ConditionType } from '../crd/iotpipeline.js';

export interface ConditionState {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

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
  const order: ConditionType[] = ['Ready', 'TopicReady', 'SchemaRegistered', 'WorkloadsAvailable'];
  const out: Condition[] = [];
  for (const type of order) {
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
      message: state.message.slice(0, 32_768),
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
  const order = ['TopicReady', 'SchemaRegistered', 'WorkloadsAvailable'] as const;
  const failed = order.find((type) => parts[type]?.status === 'False');
  const pending = order.find((type) => parts[type]?.status !== 'True');
  const type = failed ?? pending;
  if (type === undefined) {
    return {
      status: 'True',
      reason: 'PipelineReady',
      message: 'topics ready, schema registered, workloads available',
    };
  }
  const part = parts[type];
  return {
    status: failed ? 'False' : 'Unknown',
    reason: part ? part.reason : 'Reconciling',
    message: part ? `${type}: ${part.message}` : `${type} not known yet`,
  };
}
