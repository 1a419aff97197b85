// SPDX-License-Identifier: MIT
// node-oidc-provider as a client-credentials server for bench/run.sh.
// Usage: node server.mjs PORT opaque|jwt NCLIENTS
// Client i (0 ≤ i < NCLIENTS) is "bench-<i>" with secret "bench-secret-<i>", authenticated
// with HTTP Basic (client_secret_basic), scope "read write". Tokens live 1800 s, like the
// token rcauth issues in the benchmark. "opaque" issues the provider's default opaque tokens
// (introspectable); "jwt" issues RS256 JWT access tokens through a default resource
// indicator (the provider refuses to introspect those).
//
// Store: the provider's own in-memory adapter, given one shared LRU store larger than its
// default 1,000 entries, so that the 10,000 tokens introspected in the benchmark are all
// still there (with the default, most would be evicted and introspect as active:false, a
// fast wrong answer). Secrets are kept in plain text by the provider: no hashing cost.
import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

const [port, mode, nclients] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4] || 1000)];
if (!port || !['opaque', 'jwt'].includes(mode) || !(nclients > 0)) {
  console.error('usage: node server.mjs PORT opaque|jwt NCLIENTS');
  process.exit(2);
}

const TTL = 1800;
const RESOURCE = 'urn:rcauth-bench:api';
const store = new LRU({ maxSize: 10_000_000 });
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

const clients = [];
for (let i = 0; i < nclients; i++) {
  clients.push({
    client_id: `bench-${i}`,
    client_secret: `bench-secret-${i}`,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'read write',
  });
}

const features = {
  devInteractions: { enabled: false },
  clientCredentials: { enabled: true },
  introspection: { enabled: true },
  revocation: { enabled: true },
};
if (mode === 'jwt') {
  features.resourceIndicators = {
    enabled: true,
    defaultResource: () => RESOURCE,
    useGrantedResource: () => true,
    getResourceServerInfo: () => ({
      scope: 'read write',
      audience: RESOURCE,
      accessTokenTTL: TTL,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: 'RS256' } },
    }),
  };
}

const provider = new Provider(`http://127.0.0.1:${port}`, {
  adapter: (model) => new MemoryAdapter(model, store),
  clients,
  scopes: ['read', 'write'],
  features,
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'bench', use: 'sig', alg: 'RS256' }] },
  ttl: { ClientCredentials: TTL },
});
provider.listen(port, '127.0.0.1', () => {
  console.error(`oidc-provider (${mode}, ${nclients} clients) listening on 127.0.0.1:${port}`);
});
