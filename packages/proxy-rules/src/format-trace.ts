import type { Outcome, Trace } from './trace.js';

/** A trace as text for people (what `switchyard explain service` prints). */
export function formatTrace(t: Trace): string {
  const p = t.packet;
  const lines = [
    `packet ${p.protocol} ${p.source} -> ${hostPort(p.destination, p.port)} from ${p.from}`,
    `${t.outcomes.length} possible outcome${t.outcomes.length === 1 ? '' : 's'}:`,
  ];
  t.outcomes.forEach((o, i) => {
    lines.push(`  ${i + 1}. ${summary(o)}`);
    for (const s of o.steps) {
      lines.push(`       ${s.chain}: ${s.rule}${s.branch ? `   [${s.branch}]` : ''}`);
    }
  });
  return lines.join('\n') + '\n';
}

/** One line per outcome, e.g. `endpoint 10.244.1.5:8080 (masqueraded)`. */
export function summary(o: Outcome): string {
  switch (o.kind) {
    case 'endpoint':
      return `endpoint ${hostPort(o.ip, o.port)}${o.masquerade ? ' (masqueraded)' : ' (client address kept)'}`;
    case 'accept':
      return `not a service: delivered unchanged${o.local ? ' to this node' : ''}${o.masquerade ? ' (masqueraded)' : ''}`;
    case 'drop':
      return 'DROP (silently discarded)';
    case 'reject':
      return 'REJECT (the client sees connection refused)';
  }
}

function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
