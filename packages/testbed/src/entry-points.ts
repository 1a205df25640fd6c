import { fileURLToPath } from 'node:url';

/**
 * Programs the testbed starts as separate processes. They always come from the built `dist/`
 * (a sibling of `src/`), so code loaded from `src/` by the tests starts the same JavaScript.
 */
function dist(path: string): string {
  return fileURLToPath(new URL(`../dist/${path}`, import.meta.url));
}

export const RELAY_MAIN = dist('relay-main.js');
export const NODE_RUNTIME_MAIN = dist('node-runtime/main.js');
export const ECHO_MAIN = dist('images/echo-main.js');
