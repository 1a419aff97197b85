// SPDX-License-Identifier: MIT
// Node's openid-client (v6, unchanged) against a live rcauth: discover the server from an
// account issuer through its RFC 8414 metadata, run the client-credentials grant, introspect
// the token, revoke it and introspect it again — once with each client authentication method
// the metadata lists. Run by tests/e2e/test_client_libraries.py:
//   RCAUTH_ISSUER=http://127.0.0.1:PORT/ACCOUNT RCAUTH_CLIENT_ID=… RCAUTH_CLIENT_SECRET=… \
//     node openid_client.mjs
// Prints one JSON object on stdout; any failure exits non-zero with the error on stderr.
import * as client from 'openid-client';

const issuer = new URL(process.env.RCAUTH_ISSUER);
const clientId = process.env.RCAUTH_CLIENT_ID;
const secret = process.env.RCAUTH_CLIENT_SECRET;

const methods = {
  client_secret_basic: client.ClientSecretBasic,
  client_secret_post: client.ClientSecretPost,
};

const out = {};
for (const [name, auth] of Object.entries(methods)) {
  // algorithm 'oauth2': RFC 8414 discovery (/.well-known/oauth-authorization-server/<path>);
  // allowInsecureRequests: the test server speaks plain HTTP on loopback.
  const config = await client.discovery(issuer, clientId, undefined, auth(secret), {
    algorithm: 'oauth2',
    execute: [client.allowInsecureRequests],
  });
  const tokens = await client.clientCredentialsGrant(config, { scope: 'campaign.read' });
  const introspection = await client.tokenIntrospection(config, tokens.access_token);
  await client.tokenRevocation(config, tokens.access_token);
  const afterRevocation = await client.tokenIntrospection(config, tokens.access_token);
  out[name] = {
    metadata: config.serverMetadata(),
    tokens: { ...tokens },
    introspection,
    afterRevocation,
  };
}
process.stdout.write(JSON.stringify(out) + '\n');
