/**
 * The "test settings" button against servers that waste its time: the design promises an
 * answer within 15 s whatever the server does. Runs `testSmtpSettings` with the product's own
 * timeouts (no overrides) and prints how long each answer took, with its code and stage.
 */
import type { SmtpSecurity, SmtpServerSettings } from '../shared/smtp/types';
import {
  loopbackPolicy,
  makeCertificate,
  startImplicitTlsServer,
  startSilentServer,
  startStallingServer,
  type Certificate,
  type LocalServer,
} from './local-servers';
import { median, ms, printSkip, printTable, type Cell } from './report';

const SECTION = '2. Test button worst case (testSmtpSettings, default timeouts, 127.0.0.1)';
const RUNS = Number(process.env.BENCH_BUTTON_RUNS ?? 3);
const PROMISED_MS = 15_000;

interface Case {
  name: string;
  security: SmtpSecurity;
  start: (certificate: Certificate) => Promise<LocalServer>;
}

const CASES: Case[] = [
  { name: 'accepts TCP, never greets (starttls)', security: 'starttls', start: () => startSilentServer() },
  { name: 'accepts TCP, never speaks (ssl)', security: 'ssl', start: () => startSilentServer() },
  { name: 'greets, then stalls after EHLO', security: 'starttls', start: () => startStallingServer() },
  { name: 'implicit-TLS port spoken to with starttls', security: 'starttls', start: (certificate) => startImplicitTlsServer(certificate) },
];

export async function benchTestButton(): Promise<void> {
  let testSmtpSettings: typeof import('../shared/smtp/test-smtp-settings').testSmtpSettings;
  let timeouts: typeof import('../shared/smtp/smtp-timeouts').TEST_TIMEOUTS;
  try {
    ({ testSmtpSettings } = await import('../shared/smtp/test-smtp-settings'));
    ({ TEST_TIMEOUTS: timeouts } = await import('../shared/smtp/smtp-timeouts'));
  } catch (error) {
    printSkip(SECTION, `shared/smtp/test-smtp-settings.ts could not be loaded (${(error as Error).message.split('\n')[0]})`);
    return;
  }
  const certificate = makeCertificate();
  const policy = loopbackPolicy({ allowPlaintext: false });
  // The cases wait on timers, not on the CPU: they run side by side to keep the bench short,
  // and each case's runs one after the other.
  const rows: Cell[][] = await Promise.all(
    CASES.map(async (testCase): Promise<Cell[]> => {
      const server = await testCase.start(certificate);
      try {
        const settings: SmtpServerSettings = {
          host: '127.0.0.1',
          port: server.port,
          security: testCase.security,
          username: 'jobs@bench.example',
          password: 'bench-password',
          fromAddress: 'jobs@bench.example',
        };
        const durations: number[] = [];
        const outcomes = new Set<string>();
        for (let runIndex = 0; runIndex < RUNS; runIndex += 1) {
          const started = performance.now();
          const result = await testSmtpSettings(settings, { policy, egressIps: [], tlsCa: certificate.cert });
          durations.push(performance.now() - started);
          outcomes.add(`${result.code} / ${result.stage}`);
        }
        const worst = Math.max(...durations);
        return [
          testCase.name,
          [...outcomes].join(', '),
          ms(Math.min(...durations)),
          ms(median(durations)),
          ms(worst),
          worst < PROMISED_MS ? 'yes' : 'NO',
        ];
      } finally {
        await server.close();
      }
    }),
  );
  printTable(SECTION, ['server behaviour', 'code / stage', 'min', 'median', 'max', '< 15 s'], rows, [
    `${RUNS} runs per case, one after another (the cases side by side); product timeouts: connect ${timeouts.connect} ms, tls ${timeouts.tls} ms, greeting ${timeouts.greeting} ms,`,
    `command ${timeouts.command} ms, total ${timeouts.total} ms. Policy: 127.0.0.0/8 allowed, any port.`,
  ]);
}
