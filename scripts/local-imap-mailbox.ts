/**
 * `npm run imap:local`: a company mailbox on this machine to read over IMAP with `npm start`
 * (README, "Reading the company mailbox instead of forwarding"). It is the tests' Dovecot
 * (Debian's `dovecot-imapd`, installed when missing; needs root): STARTTLS on 127.0.0.1:1143,
 * implicit TLS on :1993, a self-signed certificate (local mode accepts it on loopback), one
 * mailbox with a password. With OAUTH_LOCAL_URL (the `npm run oauth:local` provider) it also
 * takes XOAUTH2 tokens, verified by introspection. It puts one candidate's mail into the inbox
 * at start; Ctrl-C stops it and removes its folder.
 */
import { ImapFlow } from 'imapflow';
import { LOCAL_IMAP_PORTS } from '../infra/local/local-inbound-mailbox-poller';
import { startDovecot } from '../test/support/dovecot-server';

const user = process.env.LOCAL_IMAP_USER ?? 'jobs@acme.test';
const password = process.env.LOCAL_IMAP_PASSWORD ?? 'local-imap-password';
const [port, tlsPort] = LOCAL_IMAP_PORTS;
const introspection = process.env.OAUTH_LOCAL_URL ? `${process.env.OAUTH_LOCAL_URL.replace(/\/+$/, '')}/introspect` : undefined;
const dovecot = await startDovecot({ users: [{ user, password }], introspectionUrl: introspection, ports: { port, tlsPort } });

const client = new ImapFlow({ host: '127.0.0.1', port: tlsPort, secure: true, servername: 'localhost', tls: { ca: [dovecot.cert] }, auth: { user, pass: password }, logger: false });
await client.connect();
await client.append(
  'INBOX',
  Buffer.from(
    [
      'From: Ada Lovelace <ada@example.com>',
      `To: ${user}`,
      'Subject: Application: backend engineer',
      `Message-ID: <local-imap-${Date.now()}@example.com>`,
      `Date: ${new Date().toUTCString()}`,
      '',
      'Hello, please find my application attached in spirit.',
      '',
    ].join('\r\n'),
  ),
);
await client.logout();

process.stdout.write(
  [
    '',
    `Local IMAP mailbox ${user} (password ${password}) on 127.0.0.1:${port} (STARTTLS) and :${tlsPort} (SSL/TLS)${introspection ? `; XOAUTH2 tokens checked at ${introspection}` : ''}.`,
    'One candidate mail is in its INBOX. Read it with `npm start` running:',
    '',
    `  curl -s -X PUT "$API/v1/email-settings/main/inbound" $H -d '{"mode":"imap","imap":{"host":"localhost","port":${port},"security":"starttls","username":"${user}","password":"${password}","auth":"password"}}'`,
    '',
    'Ctrl-C stops it.',
    '',
  ].join('\n'),
);

const stop = () => void dovecot.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
