// The third-party authorization server of oxtor's OAuth tests: oauth2-mock-server on
// 127.0.0.1, an ephemeral port. Prints `LISTENING <port>`; exits when stdin closes (so it never
// outlives the test that started it). argv[2] picks a misbehaviour:
//   ok             auto-approves /authorize, checks PKCE at /token
//   token-500      /token answers 500
//   access-denied  /authorize redirects back with error=access_denied
import { OAuth2Server } from 'oauth2-mock-server';

const mode = process.argv[2] ?? 'ok';
const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');

if (mode === 'token-500') {
  server.service.on('beforeResponse', (response) => {
    response.statusCode = 500;
    response.body = { message: 'internal error' };
  });
} else if (mode === 'access-denied') {
  server.service.on('beforeAuthorizeRedirect', (redirect) => {
    redirect.url.searchParams.delete('code');
    redirect.url.searchParams.set('error', 'access_denied');
    redirect.url.searchParams.set('error_description', 'User denied access');
  });
} else if (mode !== 'ok') {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}

await server.start(0, '127.0.0.1');
console.log(`LISTENING ${server.address().port}`);

const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.on('SIGTERM', stop);
process.stdin.resume();
