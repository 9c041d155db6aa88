// The GraphQL client: queries and mutations over fetch to /api/graphql
// (the session cookie goes with them), subscriptions over a WebSocket to
// the same path with graphql-ws, connected on the first subscription.

import { createClient as createWSClient } from 'graphql-ws';
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from 'urql';

export function wsURL(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/api/graphql`;
}

export function newClient(): Client {
  const ws = createWSClient({ url: wsURL(window.location), lazy: true, retryAttempts: 5 });
  return new Client({
    url: '/api/graphql',
    // POST always: GET queries would put variables in URLs and logs.
    preferGetMethod: false,
    fetchOptions: { credentials: 'same-origin', headers: { Accept: 'application/graphql-response+json, application/json' } },
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}
