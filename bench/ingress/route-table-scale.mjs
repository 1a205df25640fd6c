// Benchmark (not a test): route table build and lookup at scale, against the naive anchor of
// scanning every candidate route in precedence order. Build first:
//   npx tsc -b packages/ingress/tsconfig.lib.json && node bench/ingress/route-table-scale.mjs
import { performance } from 'node:perf_hooks';
import {
  RouteTable,
  compileHttpRoutes,
  comparePrecedence,
  hostMatches,
  pathMatches,
} from '@switchyard/ingress';

const ROUTES = Number(process.env.BENCH_ROUTES ?? 5000);
const LOOKUPS = Number(process.env.BENCH_LOOKUPS ?? 100_000);

const httpRoutes = [];
for (let i = 0; i < ROUTES; i++) {
  httpRoutes.push({
    metadata: { name: `r${i}`, namespace: 'default' },
    spec: {
      // Half the routes on 50 exact hosts, half on one wildcard covering them all.
      hostnames: [i % 2 ? `h${i % 50}.example.com` : '*.example.com'],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: `/p${i}` } }],
          backendRefs: [{ name: 's', port: 80 }],
        },
      ],
    },
  });
}

let t = performance.now();
const compiled = compileHttpRoutes(httpRoutes);
const table = new RouteTable(compiled.routes);
const buildMs = performance.now() - t;

const requests = [];
for (let i = 0; i < LOOKUPS; i++) {
  requests.push({
    host: `h${i % 50}.example.com`,
    path: `/p${i % ROUTES}/x`,
    method: 'GET',
    headers: {},
    query: '',
  });
}

t = performance.now();
let hits = 0;
for (const r of requests) if (table.match(r)) hits++;
const indexedMs = performance.now() - t;

// Anchor: every route sorted by precedence, scanned until the first host+path match.
const linear = [...compiled.routes].sort(comparePrecedence);
const naiveLookups = Math.min(LOOKUPS, 10_000);
t = performance.now();
let naiveHits = 0;
for (const r of requests.slice(0, naiveLookups)) {
  if (linear.find((x) => hostMatches(x.host, r.host) && pathMatches(x.match.path, r.path)))
    naiveHits++;
}
const naiveMs = performance.now() - t;

const perIndexed = (indexedMs * 1000) / LOOKUPS;
const perNaive = (naiveMs * 1000) / naiveLookups;
console.log(`${ROUTES} HTTPRoutes: build ${buildMs.toFixed(0)} ms`);
console.log(`indexed lookup: ${perIndexed.toFixed(2)} µs (${hits}/${LOOKUPS} matched)`);
console.log(`linear scan:    ${perNaive.toFixed(2)} µs (${naiveHits}/${naiveLookups} matched)`);
console.log(`ratio linear/indexed: ${(perNaive / perIndexed).toFixed(1)}x`);
