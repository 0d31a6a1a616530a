/**
 * `npm run oauth:local`: a stand-in for Microsoft's and Google's sign-in and SMTP on this
 * machine, to try the OAuth2 connect steps of the README without registering real apps: the
 * local authorization server of the tests (PKCE, rotating refresh tokens, admin consent,
 * client credentials) and two smtp-server instances that verify XOAUTH2 tokens with it.
 * It prints the environment for `npm start`. Everything listens on 127.0.0.1; Ctrl-C stops it.
 */
import { startLocalAuthorizationServer } from '../test/support/local-authorization-server';
import { startMailServer } from '../test/support/mail-servers';
import { makeCertificate } from '../test/support/smtp-helpers';

const microsoft = { clientId: 'local-microsoft-client', clientSecret: 'local-microsoft-secret', tenantId: '00000000-0000-0000-0000-00000000c0de' };
const google = { clientId: 'local-google-client', clientSecret: 'local-google-secret' };
// OAUTH_LOCAL_PORT fixes the port, e.g. for a Dovecot `passdb oauth2` introspecting at {url}/introspect.
const auth = await startLocalAuthorizationServer({ microsoft, google, port: Number(process.env.OAUTH_LOCAL_PORT ?? 0) });
const verify = (user: string, token: string) => auth.verifyAccessToken(user, token);
const tls = makeCertificate({ names: ['localhost'] });
const microsoftSmtp = await startMailServer({ security: 'starttls', tls, users: {}, xoauth2: { verify, refuseLike: 'microsoft' } });
const googleSmtp = await startMailServer({ security: 'ssl', tls, users: {}, xoauth2: { verify, refuseLike: 'google' } });

process.stdout.write(
  [
    '',
    `Local OAuth2 provider on ${auth.url} (Microsoft tenant ${microsoft.tenantId}; RFC 7662 introspection at ${auth.url}/introspect);`,
    `XOAUTH2 SMTP on 127.0.0.1:${microsoftSmtp.port} (STARTTLS) and :${googleSmtp.port} (SSL).`,
    'Start the backend in another shell with:',
    '',
    `  OAUTH_MICROSOFT_CLIENT_ID=${microsoft.clientId} OAUTH_MICROSOFT_CLIENT_SECRET=${microsoft.clientSecret} \\`,
    `  OAUTH_MICROSOFT_AUTHORITY=${auth.microsoftAuthority} OAUTH_MICROSOFT_SMTP=127.0.0.1:${microsoftSmtp.port}:starttls \\`,
    `  OAUTH_GOOGLE_CLIENT_ID=${google.clientId} OAUTH_GOOGLE_CLIENT_SECRET=${google.clientSecret} \\`,
    `  OAUTH_GOOGLE_AUTH_URL=${auth.googleAuthUrl} OAUTH_GOOGLE_TOKEN_URL=${auth.googleTokenUrl} OAUTH_GOOGLE_SMTP=127.0.0.1:${googleSmtp.port}:ssl \\`,
    '  OAUTH_REDIRECT_URIS=http://localhost:5173/oauth/callback SMTP_ALLOWED_PORTS=* npm start',
    '',
    'The sign-in page signs in the `loginHint` at once and redirects with a code. Ctrl-C stops.',
    '',
  ].join('\n'),
);

const stop = async () => {
  await Promise.all([auth.close(), microsoftSmtp.close(), googleSmtp.close()]);
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// Started by another program (a test) that ended without stopping us: re-parented, stop too.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void stop();
}, 1000).unref();
