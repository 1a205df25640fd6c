// A stand-in for an Internet resolver, authoritative for example.test, run as a toolbox pod
// (`node fake-upstream.mjs`) by the e2e suite and as a local process by bench/dns: the names
// below and h<N>.example.test answer A, everything else NXDOMAIN with the SOA. Every question
// is logged as one JSON line, so a test can count what reached the upstream (and so what the
// cache absorbed); UPSTREAM_QUIET=1 turns that off, UPSTREAM_HOST/UPSTREAM_PORT pick the socket.
import { createSocket } from 'node:dgram';
import { RCode, RRType, decodeMessage, encodeMessage } from '@switchyard/dns';

const RECORDS = new Map([
  ['www.example.test', '192.0.2.80'],
  ['api.example.test', '192.0.2.81'],
]);
const SOA = {
  name: 'example.test',
  class: 1,
  ttl: 60,
  type: RRType.SOA,
  soa: {
    mname: 'ns.example.test',
    rname: 'hostmaster.example.test',
    serial: 1,
    refresh: 3600,
    retry: 600,
    expire: 86400,
    minimum: 60,
  },
};

const quiet = process.env.UPSTREAM_QUIET === '1';

/** h<N>.example.test -> 198.51.100.<N mod 250 + 1>: as many distinct external names as needed. */
function generated(name) {
  const m = /^h(\d+)\.example\.test$/.exec(name);
  return m ? `198.51.100.${(Number(m[1]) % 250) + 1}` : undefined;
}

const socket = createSocket('udp4');
socket.on('message', (bytes, peer) => {
  let query;
  try {
    query = decodeMessage(bytes);
  } catch {
    return;
  }
  const q = query.questions[0];
  if (!q || query.flags.qr) return;
  const name = q.name.toLowerCase();
  if (!quiet) console.log(JSON.stringify({ name, type: q.type }));
  const address = RECORDS.get(name) ?? generated(name);
  const answers =
    address && q.type === RRType.A
      ? [{ name: q.name, class: 1, ttl: 300, type: RRType.A, address }]
      : [];
  const reply = {
    id: query.id,
    flags: { ...query.flags, qr: true, aa: true, ra: false },
    rcode: address ? RCode.NOERROR : RCode.NXDOMAIN,
    questions: query.questions,
    answers,
    authorities: answers.length ? [] : [SOA],
    additionals: [],
  };
  socket.send(encodeMessage(reply, 512), peer.port, peer.address);
});
socket.bind(Number(process.env.UPSTREAM_PORT ?? 53), process.env.UPSTREAM_HOST ?? '0.0.0.0', () =>
  console.log(JSON.stringify({ listening: socket.address() })),
);
