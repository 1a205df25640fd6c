import type { Ingress } from '@switchyard/ingress';

/*
 * The routes, written as Ingress objects (an informer's objects would fit as they are). Both
 * annotations are ingress-nginx's, honoured with the same meaning; `switchyard.dev/<name>` works
 * too and wins when both are set.
 */

export const HOST = 'shop.example';

/** `/` answers 302 to /home (app-root); everything else goes to the web service. */
export const storefront: Ingress = {
  metadata: {
    namespace: 'shop',
    name: 'storefront',
    annotations: { 'nginx.ingress.kubernetes.io/app-root': '/home' },
  },
  spec: {
    rules: [
      {
        host: HOST,
        http: {
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: { service: { name: 'web', port: { number: 80 } } },
            },
          ],
        },
      },
    ],
  },
};

/** `/api/<rest>` goes to the api service as `/<rest>`; request bodies are capped at 1 KiB. */
export const api: Ingress = {
  metadata: {
    namespace: 'shop',
    name: 'api',
    annotations: {
      'nginx.ingress.kubernetes.io/rewrite-target': '/$2',
      'switchyard.dev/proxy-body-size': '1k',
    },
  },
  spec: {
    rules: [
      {
        host: HOST,
        http: {
          paths: [
            {
              path: '/api(/|$)(.*)',
              pathType: 'ImplementationSpecific',
              backend: { service: { name: 'api', port: { number: 8080 } } },
            },
          ],
        },
      },
    ],
  },
};
