// Checks the hub's token service with an independent client library: discovery, then a
// client_credentials grant authenticated with private_key_jwt (SMART Backend Services), then a
// call to the API with the token. Usage: node client-credentials.mjs HUB_URL CLIENT_ID KEY_PEM SCOPE
import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import * as client from 'openid-client';

const [hub, clientId, keyFile, scope] = process.argv.slice(2);
if (!hub || !clientId || !keyFile || !scope) {
  console.error('usage: node client-credentials.mjs HUB_URL CLIENT_ID KEY_PEM SCOPE');
  process.exit(2);
}

const key = createPrivateKey(readFileSync(keyFile, 'utf8'));
const cryptoKey = await crypto.subtle.importKey('pkcs8', key.export({ format: 'der', type: 'pkcs8' }),
  { name: 'ECDSA', namedCurve: 'P-384' }, false, ['sign']);

// SMART Backend Services wants the assertion's aud to be the token endpoint; the library's default is the issuer.
let tokenEndpoint;
const auth = client.PrivateKeyJwt({ key: cryptoKey, kid: `${clientId}-1` }, {
  [client.modifyAssertion]: (_header, payload) => { payload.aud = tokenEndpoint; },
});
const config = await client.discovery(new URL(hub), clientId, undefined, auth, { execute: [client.allowInsecureRequests] });
tokenEndpoint = config.serverMetadata().token_endpoint;

const tokens = await client.clientCredentialsGrant(config, { scope });
if (!tokens.access_token || tokens.token_type?.toLowerCase() !== 'bearer' || !(tokens.expires_in <= 300)) {
  console.error('unexpected token response', { ...tokens, access_token: tokens.access_token ? '[present]' : undefined });
  process.exit(1);
}
const me = await fetch(new URL('/me', hub), { headers: { authorization: `Bearer ${tokens.access_token}` } });
const who = await me.json();
if (me.status !== 200 || who.client_id !== clientId) {
  console.error('the hub did not accept the token', me.status);
  process.exit(1);
}
console.log(`ok: discovery at ${config.serverMetadata().issuer}; token for ${who.client_id} of agency ${who.agency}, scope "${tokens.scope}", ${tokens.expires_in} s`);
