/** Resource record types this package interprets; any other type travels as opaque rdata. */
export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

export const RRClass = { IN: 1, CH: 3, ANY: 255 } as const;

export const RCode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended rcode (needs OPT): the client's EDNS version is not supported. */
  BADVERS: 16,
} as const;

export const Opcode = { QUERY: 0 } as const;

const typeNames = new Map<number, string>(Object.entries(RRType).map(([k, v]) => [v, k]));
const rcodeNames = new Map<number, string>(Object.entries(RCode).map(([k, v]) => [v, k]));

/** The mnemonic for a type number (`TYPE65` style for the ones we do not name). */
export function typeName(type: number): string {
  return typeNames.get(type) ?? `TYPE${type}`;
}

/** The mnemonic for an rcode (`RCODE11` style for the ones we do not name). */
export function rcodeName(rcode: number): string {
  return rcodeNames.get(rcode) ?? `RCODE${rcode}`;
}

/** Largest UDP answer without EDNS (RFC 1035 4.2.1). */
export const CLASSIC_UDP_SIZE = 512;
/** Largest UDP payload we offer or accept to build, whatever a client advertises. */
export const MAX_UDP_SIZE = 4096;
/** Largest DNS message (TCP length prefix is 16 bits). */
export const MAX_MESSAGE_SIZE = 65535;
