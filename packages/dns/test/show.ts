import { rcodeName, typeName } from '../src/constants.js';
import type { ResourceRecord } from '../src/message.js';

/** One record as "owner TYPE data", the way the assertions read best. */
export function show(rr: ResourceRecord): string {
  const head = `${rr.name} ${typeName(rr.type)}`;
  if ('address' in rr) return `${head} ${rr.address}`;
  if ('target' in rr) return `${head} ${rr.target}`;
  if ('srv' in rr)
    return `${head} ${rr.srv.priority} ${rr.srv.weight} ${rr.srv.port} ${rr.srv.target}`;
  if ('texts' in rr) return `${head} ${rr.texts.map((t) => `"${t.toString()}"`).join(' ')}`;
  if ('soa' in rr) return `${head} ${rr.soa.mname} ${rr.soa.rname} ${rr.soa.minimum}`;
  if ('mx' in rr) return `${head} ${rr.mx.preference} ${rr.mx.exchange}`;
  return `${head} ${rr.raw.toString('hex')}`;
}

export interface Shown {
  rcode: string;
  answers: string[];
  authorities: string[];
  additionals: string[];
}

export function shown(r: {
  rcode: number;
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
}): Shown {
  return {
    rcode: rcodeName(r.rcode),
    answers: r.answers.map(show),
    authorities: r.authorities.map(show),
    additionals: r.additionals.map(show),
  };
}
