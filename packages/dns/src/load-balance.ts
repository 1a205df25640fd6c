import { RRType } from './constants.js';
import type { ResourceRecord } from './message.js';

/**
 * A copy of `records` with the A and AAAA records shuffled among their own positions (CNAMEs and
 * everything else stay put), like CoreDNS's `loadbalance` plugin in kubeadm's Corefile, so
 * clients that take the first address spread over a headless service's endpoints.
 */
export function shuffleAddresses(
  records: ResourceRecord[],
  random: () => number = Math.random,
): ResourceRecord[] {
  const slots: number[] = [];
  records.forEach((r, i) => {
    if (r.type === RRType.A || r.type === RRType.AAAA) slots.push(i);
  });
  if (slots.length < 2) return records;
  const out = records.slice();
  const picked = slots.map((i) => records[i] as ResourceRecord);
  for (let i = picked.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [picked[i], picked[j]] = [picked[j] as ResourceRecord, picked[i] as ResourceRecord];
  }
  slots.forEach((slot, k) => (out[slot] = picked[k] as ResourceRecord));
  return out;
}
