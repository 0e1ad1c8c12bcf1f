// Smoke test of server.mjs without Rust: node tests/oidc-provider/smoke.mjs [PKI_DIR]
// It runs make-pki.sh PKI_DIR (default: a new temporary directory, removed afterwards), starts
// `node server.mjs PKI_DIR` itself, reads its `listening {...}` line, exercises the provider and
// the resource server over HTTPS (trusting only the test CA), stops the server and exits non-zero
// if any check failed. The last line is `smoke: N passed, N failed`.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as jose from 'jose';

const here = path.dirname(fileURLToPath(import.meta.url));
const ownPki = !process.argv[2];
const pki = path.resolve(process.argv[2] || mkdtempSync(path.join(os.tmpdir(), 'oidc-pki-')));
execFileSync('bash', [path.join(here, 'make-pki.sh'), pki], { stdio: 'inherit' });
const pem = (name) => readFileSync(path.join(pki, name), 'utf8');
const ca = pem('ca.pem');
const identities = {
  mtls: { cert: pem('client.pem'), key: pem('client-key.pem') },
  other: { cert: pem('other.pem'), key: pem('other-key.pem') },
  selfSigned: { cert: pem('self-signed.pem'), key: pem('self-signed-key.pem') },
};

// --- start the server -------------------------------------------------------------------------
const started = Date.now();
const server = spawn(process.execPath, [path.join(here, 'server.mjs'), pki], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const info = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('server did not start within 30 s')), 30_000);
  server.once('exit', (code) => reject(new Error(`server exited early (${code})`)));
  createInterface({ input: server.stdout }).once('line', (line) => {
    clearTimeout(timer);
    if (!line.startsWith('listening ')) reject(new Error(`unexpected first line: ${line}`));
    else resolve(JSON.parse(line.slice('listening '.length)));
  });
});
console.error(`server up in ${Date.now() - started} ms: ${JSON.stringify(info)}`);
const { issuer, resource: rs } = info;

// --- helpers ----------------------------------------------------------------------------------
function request(method, url, { headers = {}, body, identity } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method,
      headers,
      ca,
      agent: false, // a new TLS connection (and client certificate) for every request
      ...(identity || {}),
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, json, text });
      });
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const form = (o) => new URLSearchParams(o).toString();
const FORM = 'application/x-www-form-urlencoded';

async function tokenRequest({ clientId, secret, proof, identity, params = {} }) {
  const headers = { 'content-type': FORM };
  const p = { grant_type: 'client_credentials', scope: 'api', ...params };
  if (secret) headers.authorization = basic(clientId, secret);
  else p.client_id = clientId;
  if (proof) headers.dpop = proof;
  return request('POST', `${issuer}/token`, { headers, body: form(p), identity });
}

async function makeKey(alg) {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { crv: alg === 'EdDSA' ? 'Ed25519' : undefined });
  return { alg, privateKey, jwk: await jose.exportJWK(publicKey) };
}

function proof(key, { htm, htu, accessToken, nonce, ath, iat }) {
  const claims = { htm, htu, jti: randomUUID() };
  if (accessToken) claims.ath = createHash('sha256').update(accessToken).digest('base64url');
  if (ath !== undefined) claims.ath = ath;
  if (nonce) claims.nonce = nonce;
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.jwk })
    .setIssuedAt(iat)
    .sign(key.privateKey);
}

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed += 1;
    console.error(`ok   ${name}`);
  } catch (err) {
    failed += 1;
    console.error(`FAIL ${name}: ${err.message}`);
  }
}
function expect(cond, what, got) {
  if (!cond) throw new Error(`${what}${got === undefined ? '' : ` (got ${typeof got === 'string' ? got : JSON.stringify(got)})`}`);
}
function expect401(r, scheme, error) {
  expect(r.status === 401, 'status 401', r.status);
  const wa = r.headers['www-authenticate'] || '';
  expect(wa.startsWith(`${scheme} `), `WWW-Authenticate scheme ${scheme}`, wa);
  if (error) expect(wa.includes(`error="${error}"`), `error="${error}"`, wa);
}

// --- checks -----------------------------------------------------------------------------------
try {
  await check('discovery', async () => {
    const r = await request('GET', `${issuer}/.well-known/openid-configuration`);
    expect(r.status === 200, 'status 200', r.status);
    const d = r.json;
    expect(d.issuer === issuer, 'issuer', d.issuer);
    expect(d.token_endpoint === `${issuer}/token`, 'token_endpoint', d.token_endpoint);
    expect(d.mtls_endpoint_aliases?.token_endpoint === `${issuer}/token`, 'mtls_endpoint_aliases.token_endpoint', d.mtls_endpoint_aliases);
    for (const m of ['client_secret_basic', 'tls_client_auth', 'self_signed_tls_client_auth']) {
      expect(d.token_endpoint_auth_methods_supported?.includes(m), `auth method ${m}`, d.token_endpoint_auth_methods_supported);
    }
    for (const a of ['ES256', 'EdDSA', 'RS256', 'PS256']) {
      expect(d.dpop_signing_alg_values_supported?.includes(a), `dpop alg ${a}`, d.dpop_signing_alg_values_supported);
    }
    expect(d.tls_client_certificate_bound_access_tokens === true, 'tls_client_certificate_bound_access_tokens');
    const r2 = await request('GET', `${issuer}/.well-known/oauth-authorization-server`);
    expect(r2.status === 200 && r2.json.issuer === issuer, 'RFC 8414 path', r2.status);
  });

  const es = await makeKey('ES256');
  const tokenUrl = `${issuer}/token`;
  let dpopToken;
  await check('dpop-client: client_credentials with a DPoP proof -> token_type DPoP', async () => {
    const r = await tokenRequest({ clientId: 'dpop-client', secret: 'dpop-secret', proof: await proof(es, { htm: 'POST', htu: tokenUrl }) });
    expect(r.status === 200, 'status 200', r.text);
    expect(r.json.token_type === 'DPoP', 'token_type DPoP', r.json.token_type);
    expect(r.json.expires_in === 60, 'expires_in 60', r.json.expires_in);
    expect(r.json.scope === 'api', 'scope api', r.json.scope);
    dpopToken = r.json.access_token;
  });

  await check('dpop-client: no proof -> 400 invalid_grant', async () => {
    const r = await tokenRequest({ clientId: 'dpop-client', secret: 'dpop-secret' });
    expect(r.status === 400 && r.json.error === 'invalid_grant', '400 invalid_grant', r.text);
  });

  await check('dpop-client: wrong secret -> 401 invalid_client', async () => {
    const r = await tokenRequest({ clientId: 'dpop-client', secret: 'nope', proof: await proof(es, { htm: 'POST', htu: tokenUrl }) });
    expect(r.status === 401 && r.json.error === 'invalid_client', '401 invalid_client', r.text);
  });

  const resUrl = `${rs}/resource`;
  let goodProof;
  await check('/resource with DPoP token + correct proof -> 200', async () => {
    goodProof = await proof(es, { htm: 'GET', htu: resUrl, accessToken: dpopToken });
    const r = await request('GET', `${resUrl}?a=1&b=2`, { headers: { authorization: `DPoP ${dpopToken}`, dpop: goodProof } });
    expect(r.status === 200, 'status 200', r.text);
    expect(r.json.client_id === 'dpop-client' && r.json.binding === 'dpop' && r.json.method === 'GET' && r.json.query === 'a=1&b=2', 'body', r.json);
  });

  await check('/resource: replayed proof -> 401 invalid_dpop_proof', async () => {
    const r = await request('GET', resUrl, { headers: { authorization: `DPoP ${dpopToken}`, dpop: goodProof } });
    expect401(r, 'DPoP', 'invalid_dpop_proof');
    expect(r.headers['www-authenticate'].includes('replayed'), 'replay description', r.headers['www-authenticate']);
  });

  await check('/resource: wrong ath -> 401 invalid_dpop_proof', async () => {
    const p = await proof(es, { htm: 'GET', htu: resUrl, ath: 'A'.repeat(43) });
    const r = await request('GET', resUrl, { headers: { authorization: `DPoP ${dpopToken}`, dpop: p } });
    expect401(r, 'DPoP', 'invalid_dpop_proof');
    expect(r.headers['www-authenticate'].includes('ath'), 'ath description', r.headers['www-authenticate']);
  });

  await check('/resource: htm mismatch, htu mismatch, old iat, other key, no proof -> 401 invalid_dpop_proof', async () => {
    const other = await makeKey('ES256');
    const cases = [
      await proof(es, { htm: 'POST', htu: resUrl, accessToken: dpopToken }),
      await proof(es, { htm: 'GET', htu: `${rs}/elsewhere`, accessToken: dpopToken }),
      await proof(es, { htm: 'GET', htu: resUrl, accessToken: dpopToken, iat: Math.floor(Date.now() / 1000) - 120 }),
      await proof(other, { htm: 'GET', htu: resUrl, accessToken: dpopToken }),
      undefined,
    ];
    for (const p of cases) {
      const headers = { authorization: `DPoP ${dpopToken}` };
      if (p) headers.dpop = p;
      expect401(await request('GET', resUrl, { headers }), 'DPoP', 'invalid_dpop_proof');
    }
  });

  await check('/resource: POST with a POST proof -> 200', async () => {
    const p = await proof(es, { htm: 'POST', htu: resUrl, accessToken: dpopToken });
    const r = await request('POST', resUrl, { headers: { authorization: `DPoP ${dpopToken}`, dpop: p, 'content-type': FORM }, body: 'x=1' });
    expect(r.status === 200 && r.json.method === 'POST' && r.json.query === '', 'POST 200', r.text);
  });

  await check('/resource: DPoP-bound token as Bearer -> 401', async () => {
    const r = await request('GET', resUrl, { headers: { authorization: `Bearer ${dpopToken}` } });
    expect401(r, 'DPoP', 'invalid_token');
  });

  await check('/resource: unknown token / no token -> 401 Bearer', async () => {
    expect401(await request('GET', resUrl, { headers: { authorization: 'Bearer not-a-token' } }), 'Bearer', 'invalid_token');
    expect401(await request('GET', resUrl), 'Bearer');
  });

  const ed = await makeKey('EdDSA');
  let nonceToken;
  await check('dpop-nonce-client: 400 use_dpop_nonce + DPoP-Nonce, retry with nonce -> 200', async () => {
    const before = (await request('GET', `${rs}/stats`)).json;
    const r1 = await tokenRequest({ clientId: 'dpop-nonce-client', secret: 'dpop-nonce-secret', proof: await proof(ed, { htm: 'POST', htu: tokenUrl }) });
    expect(r1.status === 400 && r1.json.error === 'use_dpop_nonce', '400 use_dpop_nonce', r1.text);
    const nonce = r1.headers['dpop-nonce'];
    expect(nonce, 'DPoP-Nonce header');
    const r2 = await tokenRequest({ clientId: 'dpop-nonce-client', secret: 'dpop-nonce-secret', proof: await proof(ed, { htm: 'POST', htu: tokenUrl, nonce }) });
    expect(r2.status === 200 && r2.json.token_type === 'DPoP', '200 DPoP', r2.text);
    nonceToken = r2.json.access_token;
    const after = (await request('GET', `${rs}/stats`)).json;
    const n = (s) => s.token_requests['dpop-nonce-client'] || 0;
    expect(n(after) - n(before) === 2, 'stats: two token requests', after.token_requests);
    expect(after.token_nonce_challenges - before.token_nonce_challenges === 1, 'stats: one nonce challenge', after.token_nonce_challenges);
  });

  await check('/nonce-resource: challenge, then success; previous nonce accepted after one rotation, not after two', async () => {
    const url = `${rs}/nonce-resource`;
    const call = async (nonce) => request('GET', url, {
      headers: { authorization: `DPoP ${nonceToken}`, dpop: await proof(ed, { htm: 'GET', htu: url, accessToken: nonceToken, nonce }) },
    });
    const r1 = await call();
    expect401(r1, 'DPoP', 'use_dpop_nonce');
    const nonce = r1.headers['dpop-nonce'];
    expect(nonce, 'DPoP-Nonce header on 401');
    const r2 = await call(nonce);
    expect(r2.status === 200 && r2.json.binding === 'dpop' && r2.json.client_id === 'dpop-nonce-client', '200', r2.text);
    expect(r2.headers['dpop-nonce'] === nonce, 'DPoP-Nonce on 200');
    await request('POST', `${rs}/rotate-nonce`);
    const r3 = await call(nonce);
    expect(r3.status === 200 && r3.headers['dpop-nonce'] && r3.headers['dpop-nonce'] !== nonce, 'previous nonce accepted, new one announced', r3.text);
    await request('POST', `${rs}/rotate-nonce`);
    const r4 = await call(nonce);
    expect401(r4, 'DPoP', 'use_dpop_nonce');
    const r5 = await call(r4.headers['dpop-nonce']);
    expect(r5.status === 200, 'fresh nonce accepted', r5.text);
  });

  let mtlsToken;
  await check('mtls-client (tls_client_auth, no secret) -> Bearer token', async () => {
    const r = await tokenRequest({ clientId: 'mtls-client', identity: identities.mtls });
    expect(r.status === 200 && r.json.token_type === 'Bearer', '200 Bearer', r.text);
    mtlsToken = r.json.access_token;
  });

  await check('mtls-client with other-client / self-signed / no certificate -> 401 invalid_client', async () => {
    for (const identity of [identities.other, identities.selfSigned, undefined]) {
      const r = await tokenRequest({ clientId: 'mtls-client', identity });
      expect(r.status === 401 && r.json.error === 'invalid_client', '401 invalid_client', r.text);
    }
  });

  await check('/resource with mTLS token: same cert 200, no cert 401, other cert 401', async () => {
    const headers = { authorization: `Bearer ${mtlsToken}` };
    const r1 = await request('GET', resUrl, { headers, identity: identities.mtls });
    expect(r1.status === 200 && r1.json.binding === 'mtls' && r1.json.client_id === 'mtls-client', '200 mtls', r1.text);
    const r2 = await request('GET', resUrl, { headers });
    expect401(r2, 'Bearer', 'invalid_token');
    expect(r2.headers['www-authenticate'].includes('certificate mismatch'), 'certificate mismatch', r2.headers['www-authenticate']);
    expect401(await request('GET', resUrl, { headers, identity: identities.other }), 'Bearer', 'invalid_token');
  });

  await check('self-signed-client (self_signed_tls_client_auth) -> token, usable with its cert', async () => {
    const r = await tokenRequest({ clientId: 'self-signed-client', identity: identities.selfSigned });
    expect(r.status === 200 && r.json.token_type === 'Bearer', '200 Bearer', r.text);
    const headers = { authorization: `Bearer ${r.json.access_token}` };
    const r1 = await request('GET', resUrl, { headers, identity: identities.selfSigned });
    expect(r1.status === 200 && r1.json.binding === 'mtls' && r1.json.client_id === 'self-signed-client', '200 mtls', r1.text);
    const bad = await tokenRequest({ clientId: 'self-signed-client', identity: identities.mtls });
    expect(bad.status === 401 && bad.json.error === 'invalid_client', 'unregistered cert refused', bad.text);
  });

  await check('resource server /.well-known/openid-configuration carries the provider issuer', async () => {
    const r = await request('GET', `${rs}/.well-known/openid-configuration`);
    expect(r.status === 200 && r.json.issuer === issuer && r.json.issuer !== rs, 'issuer', r.json?.issuer);
  });

  await check('bearer-client works as Bearer', async () => {
    const r = await tokenRequest({ clientId: 'bearer-client', secret: 'bearer-secret' });
    expect(r.status === 200 && r.json.token_type === 'Bearer', '200 Bearer', r.text);
    const t = r.json.access_token;
    const r1 = await request('GET', resUrl, { headers: { authorization: `Bearer ${t}` } });
    expect(r1.status === 200 && r1.json.binding === 'none' && r1.json.client_id === 'bearer-client', '200 none', r1.text);
    expect401(await request('GET', resUrl, { headers: { authorization: `DPoP ${t}` } }), 'DPoP', 'invalid_token');
  });

  await check('/stats counts', async () => {
    const s = (await request('GET', `${rs}/stats`)).json;
    expect(s.replays_rejected >= 1, 'replays_rejected', s.replays_rejected);
    expect(s.nonce_challenges >= 2, 'nonce_challenges', s.nonce_challenges);
    expect(s.token_requests['dpop-client'] === 3, 'token_requests dpop-client', s.token_requests);
    expect(s.token_success['bearer-client'] === 1, 'token_success bearer-client', s.token_success);
    expect(s.resource_requests >= 10, 'resource_requests', s.resource_requests);
  });
} finally {
  const exited = new Promise((resolve) => server.once('exit', (code, signal) => resolve({ code, signal })));
  server.kill('SIGTERM');
  const { code, signal } = await exited;
  if (code !== 0) {
    failed += 1;
    console.error(`FAIL server exit on SIGTERM: code ${code} signal ${signal}`);
  }
  if (ownPki) rmSync(pki, { recursive: true, force: true });
}
console.log(`smoke: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
