/**
 * The decoded form of a DNS message. Names are in presentation form without the trailing dot
 * ("www.example.com"; "" is the root); a label holding "." or a non-printable byte is escaped
 * as `\.` or `\DDD` so every wire name round-trips exactly.
 */
export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export interface MxData {
  preference: number;
  exchange: string;
}

/** Record payloads by type; any type not listed here keeps its rdata bytes untouched. */
export type RData =
  | { type: 1 | 28; address: string } // A, AAAA
  | { type: 2 | 5 | 12; target: string } // NS, CNAME, PTR
  | { type: 6; soa: SoaData }
  | { type: 15; mx: MxData }
  | { type: 16; texts: Buffer[] }
  | { type: 33; srv: SrvData }
  | { type: number; raw: Buffer };

export type ResourceRecord = {
  name: string;
  class: number;
  ttl: number;
} & RData;

export interface EdnsOption {
  code: number;
  data: Buffer;
}

/** The OPT pseudo-record (RFC 6891), kept apart from the additional section. */
export interface Edns {
  udpSize: number;
  version: number;
  dnssecOk: boolean;
  /** High 8 bits of the 12-bit extended rcode, as carried in the OPT TTL. */
  extendedRcode: number;
  options: EdnsOption[];
}

export interface Flags {
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
}

export interface Message {
  id: number;
  flags: Flags;
  /** Full rcode; values above 15 need `edns` to be present (the high bits go in OPT). */
  rcode: number;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
  edns?: Edns;
}

export function emptyFlags(): Flags {
  return { qr: false, opcode: 0, aa: false, tc: false, rd: false, ra: false, ad: false, cd: false };
}
