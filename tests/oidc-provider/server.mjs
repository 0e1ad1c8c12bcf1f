// Starts panva's oidc-provider (an OpenID-certified OAuth 2.0 authorization server) and a small
// test resource server, both over HTTPS on 127.0.0.1 only (never another address), each on a
// random free port, for auth-rs's real-server tests.
//
// Usage: node tests/oidc-provider/server.mjs PKI_DIR
//   PKI_DIR is made by tests/oidc-provider/make-pki.sh PKI_DIR.
// Once both servers listen it prints exactly one line to stdout:
//   listening {"issuer":"https://127.0.0.1:P","resource":"https://127.0.0.1:R","pki":"/abs/pki"}
// and keeps running until SIGTERM/SIGINT (then exits 0). Everything else goes to stderr.
//
// Authorization server (issuer): client_credentials only, DPoP (RFC 9449, with a server nonce
// required from `dpop-nonce-client` only), mTLS (RFC 8705: tls_client_auth,
// self_signed_tls_client_auth, certificate-bound tokens). Access tokens are opaque and live 60 s.
// Clients: see CLIENTS below.
//
// Resource server (all answers JSON; 401s carry one WWW-Authenticate challenge):
//   GET|POST /resource        needs `Authorization: Bearer|DPoP <token>`; the token is looked up in
//                             the provider. Unknown/expired: `Bearer error="invalid_token", ...`.
//                             DPoP-bound (jkt): scheme DPoP plus a valid `DPoP` proof (typ, alg,
//                             public jwk, signature, jkt, htm, htu, iat +-60 s, unseen jti, ath),
//                             else `DPoP error="invalid_dpop_proof", error_description="..."`.
//                             Certificate-bound (x5t#S256): the TLS client certificate must match,
//                             else `Bearer error="invalid_token", error_description="certificate
//                             mismatch"`. 200: {"client_id","binding":"dpop|mtls|none","method",
//                             "query"}.
//   GET|POST /nonce-resource  the same, and a DPoP proof must carry this server's nonce, else
//                             `DPoP error="use_dpop_nonce", ...`; every answer has `DPoP-Nonce`.
//                             The nonce rotates every 60 s; the current and previous are accepted.
//   POST /rotate-nonce        rotates that nonce now (for tests).
//   GET /stats                counters: token requests per client id, resource calls, replays
//                             rejected, nonce challenges.
//   GET /.well-known/openid-configuration (and /.well-known/oauth-authorization-server): the
//                             provider's discovery document relayed unchanged, so its "issuer" is
//                             the provider's, not this server's.
import { createHash, randomBytes, generateKeyPair, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import * as jose from 'jose';

// oidc-provider prints its notices with console.info (stdout); stdout carries only the one line.
console.log = console.error;
console.info = console.error;
const { default: Provider } = await import('oidc-provider');

const pkiArg = process.argv[2];
if (!pkiArg) {
  console.error('usage: node server.mjs PKI_DIR   (make it with make-pki.sh PKI_DIR)');
  process.exit(2);
}
const pki = path.resolve(pkiArg);
const pem = (name) => readFileSync(path.join(pki, name), 'utf8');
const tlsOptions = {
  key: pem('server-key.pem'),
  cert: pem('server.pem'),
  ca: pem('ca.pem'),
  requestCert: true, // ask every client for a certificate...
  rejectUnauthorized: false, // ...but let those without one (or with a self-signed one) connect
};

const HOST = '127.0.0.1';
const ASYMMETRIC_ALGS = [
  'ES256', 'ES384', 'ES512', 'EdDSA',
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
];
const PROOF_IAT_WINDOW = 60; // seconds either side
const NONCE_ROTATE_MS = 60_000;
const b64u = (buf) => Buffer.from(buf).toString('base64url');
const sha256 = (data) => createHash('sha256').update(data).digest();

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Counters (GET /stats on the resource server).
const stats = {
  token_requests: {}, // client id -> POST /token count (any outcome)
  token_success: {}, // client id -> 200 count
  token_errors: {}, // client id -> { error code -> count }
  token_nonce_challenges: 0, // use_dpop_nonce answers from the token endpoint
  resource_requests: 0, // /resource + /nonce-resource
  resource_requests_by_path: { '/resource': 0, '/nonce-resource': 0 },
  resource_requests_by_client: {}, // client id (of a known token) -> count
  resource_success: 0,
  resource_errors: {}, // error code -> count
  replays_rejected: 0, // DPoP proofs refused because their jti was seen before
  nonce_challenges: 0, // use_dpop_nonce answers from /nonce-resource
  nonce_rotations: 0,
};
const bump = (obj, key) => { obj[key] = (obj[key] || 0) + 1; };

// ---------------------------------------------------------------------------------------------
// Authorization server.
const opServer = https.createServer(tlsOptions);
const opPort = await listen(opServer);
const issuer = `https://${HOST}:${opPort}`;

const selfSignedCert = new X509Certificate(pem('self-signed.pem'));
const selfSignedJwk = {
  ...(await jose.exportJWK(selfSignedCert.publicKey)),
  use: 'sig',
  x5c: [selfSignedCert.raw.toString('base64')],
};

const CLIENTS = [
  {
    client_id: 'dpop-client',
    client_secret: 'dpop-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    dpop_bound_access_tokens: true,
  },
  {
    client_id: 'dpop-nonce-client', // the token endpoint requires a DPoP nonce from this one
    client_secret: 'dpop-nonce-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    dpop_bound_access_tokens: true,
  },
  {
    client_id: 'bearer-client',
    client_secret: 'bearer-secret',
    token_endpoint_auth_method: 'client_secret_basic',
  },
  {
    client_id: 'mtls-client',
    token_endpoint_auth_method: 'tls_client_auth',
    tls_client_auth_subject_dn: 'CN=mtls-client',
    tls_client_certificate_bound_access_tokens: true,
  },
  {
    client_id: 'self-signed-client',
    token_endpoint_auth_method: 'self_signed_tls_client_auth',
    jwks: { keys: [selfSignedJwk] },
    tls_client_certificate_bound_access_tokens: true,
  },
].map((c) => ({
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  scope: 'api',
  ...c,
}));

// The peer certificate of the request's TLS connection, or undefined.
const peerCertificate = (socket) => (socket && typeof socket.getPeerX509Certificate === 'function'
  ? socket.getPeerX509Certificate() || undefined
  : undefined);

// RFC 4514 order is most-specific first, node lists RDNs most-specific last; accept either.
function subjectMatches(cert, expected) {
  const rdns = cert.subject.split('\n').filter(Boolean);
  const norm = (s) => s.replace(/\s*,\s*/g, ',').trim();
  const want = norm(expected);
  return norm(rdns.join(',')) === want || norm([...rdns].reverse().join(',')) === want;
}

const { privateKey: opSigningKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
const opSigningJwk = { ...(await jose.exportJWK(opSigningKey)), kid: 'op-rs256', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: CLIENTS,
  jwks: { keys: [opSigningJwk] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  scopes: ['openid', 'offline_access', 'api'],
  clientAuthMethods: [
    'client_secret_basic', 'client_secret_post', 'private_key_jwt',
    'tls_client_auth', 'self_signed_tls_client_auth',
  ],
  ttl: { ClientCredentials: 60 },
  enabledJWA: { dPoPSigningAlgValues: ASYMMETRIC_ALGS },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    dPoP: {
      enabled: true,
      nonceSecret: randomBytes(32),
      requireNonce: (ctx) => ctx.oidc?.client?.clientId === 'dpop-nonce-client',
    },
    mTLS: {
      enabled: true,
      certificateBoundAccessTokens: true,
      tlsClientAuth: true,
      selfSignedTlsClientAuth: true,
      getCertificate: (ctx) => peerCertificate(ctx.socket),
      // Chain verified against the test CA (the https server's `ca`); rejectUnauthorized is off,
      // so this is where an unverified certificate is refused for tls_client_auth.
      certificateAuthorized: (ctx) => ctx.socket.authorized === true,
      certificateSubjectMatches: (ctx, property, expected) => {
        const cert = peerCertificate(ctx.socket);
        if (!cert) return false;
        switch (property) {
          case 'tls_client_auth_subject_dn':
            return subjectMatches(cert, expected);
          case 'tls_client_auth_san_dns':
            return (cert.subjectAltName || '').split(', ').includes(`DNS:${expected}`);
          case 'tls_client_auth_san_ip':
            return (cert.subjectAltName || '').split(', ').includes(`IP Address:${expected}`);
          default:
            return false;
        }
      },
    },
  },
  // Not implemented by oidc-provider itself; every endpoint accepts client certificates, so the
  // aliases are the endpoints themselves.
  discovery: {
    mtls_endpoint_aliases: {
      token_endpoint: `${issuer}/token`,
      introspection_endpoint: `${issuer}/token/introspection`,
      revocation_endpoint: `${issuer}/token/revocation`,
    },
  },
});

function basicClientId(ctx) {
  const m = /^Basic\s+(\S+)$/i.exec(ctx.get('authorization') || '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i > 0 ? decodeURIComponent(decoded.slice(0, i).replace(/\+/g, '%20')) : undefined;
}

provider.use(async (ctx, next) => {
  // RFC 8414 path, same document.
  if (ctx.path === '/.well-known/oauth-authorization-server') {
    ctx.path = '/.well-known/openid-configuration';
  }
  const isToken = ctx.method === 'POST' && ctx.path === '/token';
  await next();
  if (!isToken) return;
  let id = ctx.oidc?.client?.clientId ?? ctx.oidc?.params?.client_id;
  if (!id) {
    try { id = basicClientId(ctx); } catch { /* malformed */ }
  }
  id = typeof id === 'string' && id ? id : 'unknown';
  bump(stats.token_requests, id);
  if (ctx.status === 200) {
    bump(stats.token_success, id);
  } else {
    const code = (ctx.body && typeof ctx.body === 'object' && ctx.body.error) || String(ctx.status);
    stats.token_errors[id] ||= {};
    bump(stats.token_errors[id], code);
    if (code === 'use_dpop_nonce') stats.token_nonce_challenges += 1;
  }
});
provider.on('server_error', (ctx, err) => console.error('oidc-provider server_error:', err));

opServer.on('request', provider.callback());

// ---------------------------------------------------------------------------------------------
// Resource server.
const rsServer = https.createServer(tlsOptions);
const rsPort = await listen(rsServer);
const resourceOrigin = `https://${HOST}:${rsPort}`;
const caPem = pem('ca.pem');

// DPoP proof jti values seen, with when they may be forgotten (after iat could no longer pass).
const seenJti = new Map();
function pruneJti(nowSec) {
  for (const [jti, until] of seenJti) if (until < nowSec) seenJti.delete(jti);
}

// Resource-server DPoP nonce: rotates every NONCE_ROTATE_MS (checked lazily) or on
// POST /rotate-nonce; the current and the previous one are accepted.
const newNonce = () => randomBytes(16).toString('base64url');
const nonces = { current: newNonce(), previous: undefined, rotatedAt: Date.now() };
function rotateNonce() {
  nonces.previous = nonces.current;
  nonces.current = newNonce();
  nonces.rotatedAt = Date.now();
  stats.nonce_rotations += 1;
}
function currentNonce() {
  if (Date.now() - nonces.rotatedAt >= NONCE_ROTATE_MS) rotateNonce();
  return nonces.current;
}

class Refusal extends Error {
  constructor(scheme, error, description) {
    super(description);
    this.scheme = scheme;
    this.error = error;
  }
}
const quoted = (s) => String(s).replace(/["\\]/g, "'").replace(/[\r\n]+/g, ' ');

function send(res, status, body, headers = {}) {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(json),
    ...headers,
  });
  res.end(json);
}

async function verifyProof(proof, { method, htu, accessToken, jkt, nonceRequired }) {
  const fail = (d) => { throw new Refusal('DPoP', 'invalid_dpop_proof', d); };
  if (!proof) fail('missing DPoP proof');
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(proof)) fail('DPoP header is not a single compact JWS');
  let header;
  try {
    header = jose.decodeProtectedHeader(proof);
  } catch {
    fail('malformed DPoP proof header');
  }
  if (header.typ !== 'dpop+jwt') fail('typ must be dpop+jwt');
  if (!ASYMMETRIC_ALGS.includes(header.alg)) fail('alg must be an asymmetric JWS algorithm');
  if (!header.jwk || typeof header.jwk !== 'object' || Array.isArray(header.jwk)) fail('missing jwk header');
  if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'].some((m) => m in header.jwk)) {
    fail('jwk must be a public key');
  }
  let payload;
  try {
    ({ payload } = await jose.jwtVerify(proof, jose.EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: ASYMMETRIC_ALGS,
    }));
  } catch (err) {
    fail(`signature verification failed (${err.code || err.name})`);
  }
  if (payload.htm !== method) fail('htm mismatch');
  let actual;
  try {
    const u = new URL(payload.htu);
    u.search = '';
    u.hash = '';
    actual = u.href;
  } catch { /* not a URL */ }
  if (actual !== htu) fail('htu mismatch');
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)) fail('missing iat');
  if (Math.abs(now - payload.iat) > PROOF_IAT_WINDOW) fail('iat outside the acceptable window');
  if (typeof payload.jti !== 'string' || !payload.jti) fail('missing jti');
  if (payload.ath !== b64u(sha256(accessToken))) fail('ath mismatch');
  let thumbprint;
  try {
    thumbprint = await jose.calculateJwkThumbprint(header.jwk, 'sha256');
  } catch {
    fail('jwk thumbprint could not be computed');
  }
  if (thumbprint !== jkt) fail('jwk thumbprint does not match the access token binding (jkt)');
  if (nonceRequired) {
    if (payload.nonce === undefined) {
      throw new Refusal('DPoP', 'use_dpop_nonce', 'resource server requires a DPoP nonce');
    }
    if (payload.nonce !== nonces.current && payload.nonce !== nonces.previous) {
      throw new Refusal('DPoP', 'use_dpop_nonce', 'stale or unknown DPoP nonce');
    }
  }
  pruneJti(now);
  if (seenJti.has(payload.jti)) {
    stats.replays_rejected += 1;
    fail('DPoP proof replayed (jti already used)');
  }
  seenJti.set(payload.jti, payload.iat + PROOF_IAT_WINDOW + 5);
}

async function findToken(value) {
  return (await provider.ClientCredentials.find(value)) || (await provider.AccessToken.find(value));
}

async function resource(req, res, url, { nonceRequired }) {
  stats.resource_requests += 1;
  bump(stats.resource_requests_by_path, url.pathname);
  const extra = nonceRequired ? { 'DPoP-Nonce': currentNonce() } : {};
  try {
    if (req.method !== 'GET' && req.method !== 'POST') {
      send(res, 405, { error: 'method_not_allowed' }, { ...extra, allow: 'GET, POST' });
      return;
    }
    const m = /^(DPoP|Bearer)[ ]+([A-Za-z0-9\-._~+/]+=*)$/i.exec(req.headers.authorization || '');
    if (!m) {
      const e = new Refusal('Bearer', undefined, undefined);
      throw e;
    }
    const scheme = m[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    const value = m[2];
    const token = await findToken(value);
    if (!token) throw new Refusal('Bearer', 'invalid_token', 'unknown or expired access token');
    bump(stats.resource_requests_by_client, token.clientId);

    const jkt = token.jkt;
    const x5t = token['x5t#S256'];
    if (jkt) {
      if (scheme !== 'DPoP') {
        throw new Refusal('DPoP', 'invalid_token', 'DPoP-bound access token used with the Bearer scheme');
      }
      const proofs = req.headersDistinct?.dpop || (req.headers.dpop ? [req.headers.dpop] : []);
      if (proofs.length > 1) throw new Refusal('DPoP', 'invalid_dpop_proof', 'more than one DPoP header');
      await verifyProof(proofs[0], {
        method: req.method,
        htu: `${resourceOrigin}${url.pathname}`,
        accessToken: value,
        jkt,
        nonceRequired,
      });
    } else if (scheme === 'DPoP') {
      throw new Refusal('DPoP', 'invalid_token', 'access token is not DPoP-bound, use the Bearer scheme');
    }
    if (x5t) {
      const cert = peerCertificate(req.socket);
      if (!cert || b64u(sha256(cert.raw)) !== x5t) {
        throw new Refusal('Bearer', 'invalid_token', 'certificate mismatch');
      }
    }
    let binding = 'none';
    if (jkt) binding = 'dpop';
    else if (x5t) binding = 'mtls';
    stats.resource_success += 1;
    send(res, 200, {
      client_id: token.clientId,
      binding,
      method: req.method,
      query: url.search ? url.search.slice(1) : '',
    }, extra);
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    let challenge = err.scheme;
    if (err.error) {
      challenge += ` error="${err.error}", error_description="${quoted(err.message)}"`;
      bump(stats.resource_errors, err.error);
    } else {
      challenge += ' realm="resource"';
      bump(stats.resource_errors, 'missing_token');
    }
    if (err.error === 'use_dpop_nonce') stats.nonce_challenges += 1;
    send(res, 401, { error: err.error || 'invalid_request', error_description: err.message || 'missing access token' }, {
      ...extra,
      'www-authenticate': challenge,
    });
  }
}

// The provider's own discovery document, relayed unchanged.
function relayDiscovery(res) {
  https.get(`${issuer}/.well-known/openid-configuration`, { ca: caPem }, (up) => {
    const chunks = [];
    up.on('data', (c) => chunks.push(c));
    up.on('end', () => {
      const body = Buffer.concat(chunks);
      res.writeHead(up.statusCode, {
        'content-type': up.headers['content-type'] || 'application/json',
        'content-length': body.length,
      });
      res.end(body);
    });
    up.on('error', (err) => { console.error('discovery relay:', err); res.destroy(); });
  }).on('error', (err) => {
    console.error('discovery relay:', err);
    send(res, 502, { error: 'bad_gateway' });
  });
}

rsServer.on('request', (req, res) => {
  req.resume(); // bodies are ignored
  req.on('end', () => {
    let url;
    try {
      url = new URL(req.url, resourceOrigin);
    } catch {
      send(res, 400, { error: 'invalid_request' });
      return;
    }
    const done = (p) => Promise.resolve(p).catch((err) => {
      console.error('resource server error:', err);
      if (!res.headersSent) send(res, 500, { error: 'server_error' });
      else res.destroy();
    });
    switch (url.pathname) {
      case '/resource':
        done(resource(req, res, url, { nonceRequired: false }));
        break;
      case '/nonce-resource':
        done(resource(req, res, url, { nonceRequired: true }));
        break;
      case '/rotate-nonce':
        if (req.method !== 'POST') { send(res, 405, { error: 'method_not_allowed' }, { allow: 'POST' }); break; }
        rotateNonce();
        send(res, 200, { rotations: stats.nonce_rotations }, { 'DPoP-Nonce': nonces.current });
        break;
      case '/stats':
        send(res, 200, stats);
        break;
      case '/.well-known/openid-configuration':
      case '/.well-known/oauth-authorization-server':
        relayDiscovery(res);
        break;
      default:
        send(res, 404, { error: 'not_found' });
    }
  });
});

for (const s of [opServer, rsServer]) {
  s.on('tlsClientError', () => {}); // a client that gives up on the handshake is not our error
  s.on('clientError', (err, socket) => socket.destroy());
}

process.stdout.write(`listening ${JSON.stringify({ issuer, resource: resourceOrigin, pki })}\n`);

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  for (const s of [opServer, rsServer]) {
    s.close();
    s.closeAllConnections();
  }
  setTimeout(() => process.exit(0), 200).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
