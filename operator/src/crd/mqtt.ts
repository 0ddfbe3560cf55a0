/**
 * MQTT topic matching (MQTT 5.0 section 4.7), pure: the TypeScript twin of the CEL rule that
 * checks a pipeline's simulator publishes where its adapter subscribes (iotpipeline.ts). The
 * validation suite runs one matrix of filters and prefixes through both and requires them to agree.
 */

/** Does `filter` (levels, `+` for one level, `#` for the rest) match the topic name `topic`? */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  // A leading wildcard does not match a topic starting with '$' (4.7.2).
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    // '#' also matches the parent level: 'a/#' matches 'a' (4.7.1.2).
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * Does `filter` match every topic the simulator publishes under `prefix`: `<prefix>/<device>`,
 * one level below it, for any device (workloads/src/simulator/outputs.ts)?
 */
export function filterCoversSimulator(filter: string, prefix: string): boolean {
  const f = filter.split('/');
  const p = prefix.split('/');
  const dollar = prefix.startsWith('$');
  const levelOk = (level: string, i: number): boolean => {
    if (level === '#') return i > 0 || !dollar;
    if (i < p.length) return level === p[i] || (level === '+' && (i > 0 || !dollar));
    return i === p.length && level === '+';
  };
  return f.every(levelOk) && (filter === '#' || filter.endsWith('/#') || f.length === p.length + 1);
}
