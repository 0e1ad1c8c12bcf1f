// Starts oauth2-mock-server on 127.0.0.1 (never another address) on a random port, prints
// `listening http://127.0.0.1:PORT` once ready, and stops on SIGTERM/SIGINT.
// Its access tokens are RS256 JWTs signed with a key it generates; its JWKS is at /jwks.
import { OAuth2Server } from 'oauth2-mock-server';

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
// Short-lived tokens, so the test sees renewal; refresh tokens rotate on every use.
server.service.on('beforeResponse', (response) => {
  if (response.body && response.body.access_token) {
    response.body.expires_in = 2;
  }
});
await server.start(0, '127.0.0.1');
const { port } = server.address();
server.issuer.url = `http://127.0.0.1:${port}`;
console.log(`listening http://127.0.0.1:${port}`);
const stop = async () => { await server.stop(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
