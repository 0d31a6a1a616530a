/**
 * A real IMAP server for the tests: Dovecot from Debian, started with its own configuration in
 * a temporary folder (own base and state directories, listeners on 127.0.0.1 on free ports,
 * a passwd-file user database, maildir mail), STARTTLS on the plain port and implicit TLS on
 * the other, with a self-signed certificate. XOAUTH2/OAUTHBEARER logins are verified by RFC 7662
 * introspection against the local authorization server when `introspectionUrl` is given.
 * Runs as root (`dovecot -F -c conf`); `stop()` ends it and removes the folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSelfSignedCertificate } from '../../infra/local/self-signed-certificate';
import { ensureDebianPackage } from './debian-package';

export interface DovecotUser {
  user: string;
  password: string;
  /** Refuse the login even with the right password, with this text (a mailbox whose IMAP is off). */
  disabledReason?: string;
}

export interface DovecotServer {
  /** STARTTLS (and plain) port. */
  port: number;
  /** Implicit TLS port. */
  tlsPort: number;
  /** The certificate's PEM, for the client to trust. */
  cert: string;
  /** Dovecot's log so far (for a failing test's message). */
  log(): string;
  stop(): Promise<void>;
}

const NOBODY = 65534;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startDovecot(options: { users: DovecotUser[]; introspectionUrl?: string; ports?: { port: number; tlsPort: number } }): Promise<DovecotServer> {
  const dovecot = ensureDebianPackage('/usr/sbin/dovecot', ['dovecot-imapd']);
  const dir = mkdtempSync(join(tmpdir(), 'dovecot-test-'));
  chmodSync(dir, 0o755);
  const mail = join(dir, 'mail');
  mkdirSync(mail, { mode: 0o777 });
  chmodSync(mail, 0o777);
  const certificate = makeSelfSignedCertificate({ names: ['localhost', 'imap.test.local'], days: 2, ownCa: true });
  writeFileSync(join(dir, 'cert.pem'), certificate.cert);
  writeFileSync(join(dir, 'key.pem'), certificate.key, { mode: 0o600 });
  const passwd = options.users
    .map(({ user, password, disabledReason }) => {
      const extra = disabledReason ? `nologin reason=${disabledReason.replace(/:/g, '').replace(/ /g, '\t')}` : '';
      return `${user}:{PLAIN}${password}:${NOBODY}:${NOBODY}::${join(mail, user)}::${extra}`;
    })
    .join('\n');
  writeFileSync(join(dir, 'passwd'), `${passwd}\n`);
  const [port, tlsPort] = options.ports ? [options.ports.port, options.ports.tlsPort] : [await freePort(), await freePort()];
  const oauth = options.introspectionUrl
    ? [
        `passdb {`,
        `  driver = oauth2`,
        `  mechanisms = xoauth2 oauthbearer`,
        `  args = ${join(dir, 'oauth2.conf')}`,
        `}`,
      ].join('\n')
    : '';
  if (options.introspectionUrl) {
    writeFileSync(
      join(dir, 'oauth2.conf'),
      [
        `introspection_mode = post`,
        `introspection_url = ${options.introspectionUrl}`,
        `username_attribute = username`,
        `active_attribute = active`,
        `active_value = true`,
        `force_introspection = yes`,
      ].join('\n') + '\n',
    );
  }
  const conf = [
    `base_dir = ${join(dir, 'run')}`,
    `state_dir = ${join(dir, 'state')}`,
    `log_path = ${join(dir, 'dovecot.log')}`,
    `protocols = imap`,
    `listen = 127.0.0.1`,
    `ssl = yes`,
    `ssl_cert = <${join(dir, 'cert.pem')}`,
    `ssl_key = <${join(dir, 'key.pem')}`,
    `disable_plaintext_auth = no`,
    `auth_mechanisms = plain login ${options.introspectionUrl ? 'xoauth2 oauthbearer' : ''}`,
    `mail_location = maildir:~/Maildir`,
    `first_valid_uid = 1`,
    `default_internal_user = dovecot`,
    `default_login_user = dovenull`,
    `auth_failure_delay = 0`,
    `login_trusted_networks =`,
    `service imap-login {`,
    `  inet_listener imap {`,
    `    address = 127.0.0.1`,
    `    port = ${port}`,
    `  }`,
    `  inet_listener imaps {`,
    `    address = 127.0.0.1`,
    `    port = ${tlsPort}`,
    `    ssl = yes`,
    `  }`,
    `}`,
    `service stats {`,
    `  unix_listener stats-reader {`,
    `    mode = 0666`,
    `  }`,
    `  unix_listener stats-writer {`,
    `    mode = 0666`,
    `  }`,
    `}`,
    oauth,
    `passdb {`,
    `  driver = passwd-file`,
    `  args = scheme=PLAIN username_format=%u ${join(dir, 'passwd')}`,
    `}`,
    `userdb {`,
    `  driver = passwd-file`,
    `  args = username_format=%u ${join(dir, 'passwd')}`,
    `}`,
  ].join('\n');
  writeFileSync(join(dir, 'dovecot.conf'), `${conf}\n`);
  const child: ChildProcess = spawn(dovecot, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const log = () => {
    let file = '';
    try {
      file = readFileSync(join(dir, 'dovecot.log'), 'utf8');
    } catch {
      file = '';
    }
    return `${output}${file}`;
  };
  await waitForPort(tlsPort, child, log);
  await waitForPort(port, child, log);
  return {
    port,
    tlsPort,
    cert: certificate.cert,
    log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`dovecot exited (${child.exitCode}): ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`dovecot did not listen on ${port}: ${log()}`);
}
