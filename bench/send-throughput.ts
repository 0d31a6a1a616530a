/**
 * Send throughput: one small candidate mail (built once with `buildCandidateMail`) sent N
 * times with `sendViaSmtp` to a local smtp-server with AUTH, per transport security, one at a
 * time and three at a time, each message on its own connection and through the connection
 * pool. The server runs in the same process: on a 2-core machine the numbers include its
 * share of the CPU.
 */
import type { SmtpSecurity, SmtpServerSettings } from '../shared/smtp/types';
import { loopbackPolicy, makeCertificate, startSmtpServer, type SmtpServerSecurity } from './local-servers';
import { errorText, printSkip, printTable, rate, runPool, type Cell } from './report';

const SECTION = '3. Send throughput (sendViaSmtp to local smtp-server with AUTH)';
const MESSAGES = Number(process.env.BENCH_SEND_MESSAGES ?? 200);
const CONCURRENCIES = [1, 3];
/**
 * STARTTLS (the usual port 587) gets every combination. Implicit TLS and plaintext get the
 * pooled rows only: without reuse every transport waits the same 100 ms for smtp-server's
 * greeting, so those rows would repeat the STARTTLS ones at the cost of a minute.
 */
const RUNS: Array<{ security: SmtpServerSecurity; pooled: boolean[] }> = [
  { security: 'starttls', pooled: [false, true] },
  { security: 'ssl', pooled: [true] },
  { security: 'none', pooled: [true] },
];

export async function benchSendThroughput(): Promise<void> {
  let sendViaSmtp: typeof import('../shared/smtp/send-via-smtp').sendViaSmtp;
  let SmtpConnectionPool: typeof import('../shared/smtp/smtp-connection-pool').SmtpConnectionPool;
  let buildCandidateMail: typeof import('../shared/outbound/build-candidate-mail').buildCandidateMail;
  try {
    ({ sendViaSmtp } = await import('../shared/smtp/send-via-smtp'));
    ({ SmtpConnectionPool } = await import('../shared/smtp/smtp-connection-pool'));
    ({ buildCandidateMail } = await import('../shared/outbound/build-candidate-mail'));
  } catch (error) {
    printSkip(SECTION, `the SMTP send modules could not be loaded (${(error as Error).message.split('\n')[0]})`);
    return;
  }

  const mail = await buildCandidateMail({
    from: { address: 'jobs@acme.example', name: 'Acme Recruiting' },
    replyTo: [{ address: 'acme-k3f9q2@inbound.bench.example' }],
    to: ['jane.doe@candidate.example'],
    subject: 'Your application at Acme: next steps',
    text: 'Hello Jane,\n\nthank you for your application. Could you tell us when you are free for a first call next week?\n\nBest regards,\nAcme Recruiting\n',
    html: '<p>Hello Jane,</p><p>thank you for your application. Could you tell us when you are free for a first call next week?</p><p>Best regards,<br>Acme Recruiting</p>',
    messageIdDomain: 'mail.bench.example',
  });
  const message = { envelope: mail.envelope, raw: mail.raw };
  const certificate = makeCertificate();

  const rows: Cell[][] = [];
  const notes: string[] = [];
  for (const { security, pooled: poolings } of RUNS) {
    const server = await startSmtpServer(security, certificate);
    try {
      const settings: SmtpServerSettings = {
        host: '127.0.0.1',
        port: server.port,
        security: security as SmtpSecurity,
        username: 'jobs@acme.example',
        password: 'bench-password',
        fromAddress: 'jobs@acme.example',
      };
      const policy = loopbackPolicy({ allowPlaintext: security === 'none' });
      // Warm-up (not counted): the first TLS handshakes and the JIT of the send path.
      const warmUp = new SmtpConnectionPool({ maxConnectionsPerKey: 1 });
      for (let index = 0; index < 5; index += 1) await sendViaSmtp(settings, message, { policy, pool: warmUp, tlsCa: certificate.cert });
      await warmUp.close();
      for (const pooled of poolings) {
        for (const concurrency of CONCURRENCIES) {
          const pool = pooled ? new SmtpConnectionPool({ maxConnectionsPerKey: concurrency }) : undefined;
          const connectionsBefore = server.connections();
          const receivedBefore = server.received();
          const started = performance.now();
          const { failures } = await runPool(MESSAGES, concurrency, async () => {
            await sendViaSmtp(settings, message, { policy, pool, tlsCa: certificate.cert });
          });
          const seconds = (performance.now() - started) / 1000;
          await pool?.close();
          const sent = MESSAGES - failures.length;
          rows.push([
            security,
            pooled ? 'pool' : 'none',
            concurrency,
            `${sent}/${MESSAGES}`,
            server.connections() - connectionsBefore,
            rate(sent / seconds),
            `${((seconds * 1000) / MESSAGES).toFixed(2)} ms`,
          ]);
          if (failures.length > 0) notes.push(`${security}, ${pooled ? 'pool' : 'no pool'}, ×${concurrency}: ${failures.length} failed, first: ${errorText(failures[0])}`);
          if (server.received() - receivedBefore !== sent) notes.push(`${security}: the server counted ${server.received() - receivedBefore} messages for ${sent} sends`);
        }
      }
    } finally {
      await server.close();
    }
  }
  printTable(SECTION, ['security', 'reuse', 'conc.', 'sent', 'connections', 'msg/s', 'per msg'], rows, [
    `${MESSAGES} messages of ${mail.raw.length} bytes each (text + html); AUTH PLAIN on every connection;`,
    'TLS with a self-signed 2048-bit RSA certificate trusted via tlsCa; reuse "pool" = SmtpConnectionPool with max connections = concurrency',
    '(it opens a new connection after 100 messages). smtp-server holds every greeting 100 ms (its early-talker check), which dominates',
    'the rows without reuse; the server runs in the bench process and shares its CPU.',
    ...notes,
  ]);
}
