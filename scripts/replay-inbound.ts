/**
 * Re-files stored inbound mail through the inbound function, idempotently (a mail already filed
 * stays filed once). It calls the function through Lambda's Invoke API: on AWS the deployed
 * function, locally the one `npm start` runs (its HTTP port answers the Invoke API).
 *
 * A mail that could not be parsed or filed was set aside as an unassigned message with a
 * `parseError` verdict (its log line gives the exact `--key … --recipient …` to use); replayed
 * after a fix, it is filed in place of that message (same id), and the outcome printed says how.
 *
 *   npm run replay -- --key inbound/<id> --recipient <inbound address> [--recipient …]
 *   npm run replay -- --dead-letters [--file F]      local: .data/dead-letters/inbound.jsonl by default
 *   npm run replay -- --queue-url <InboundDeadLetterQueueUrl> --function <inbound function name>   AWS
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SESEvent } from 'aws-lambda';
import { INBOUND_RAW_PREFIX, sesEventFor } from '../shared/messages/ses-receipt';
import { localSettings } from '../infra/local/local-settings';

const { values } = parseArgs({
  options: {
    key: { type: 'string' },
    recipient: { type: 'string', multiple: true },
    'dead-letters': { type: 'boolean' },
    file: { type: 'string' },
    'queue-url': { type: 'string' },
    function: { type: 'string' },
  },
  allowPositionals: true,
  strict: true,
});
const onAws = Boolean(values['queue-url'] || values.function);
const local = localSettings();

if (!onAws) {
  // Local mode: the running `npm start` plays Lambda; any credentials do.
  process.env.AWS_ENDPOINT_URL_LAMBDA ??= `http://127.0.0.1:${local.port}`;
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
}
const functionName = values.function ?? 'inbound';
const lambda = new LambdaClient({});

async function invoke(event: SESEvent): Promise<void> {
  const out = await lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(event)) }));
  const payload = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  if (out.FunctionError) throw new Error(`${out.FunctionError}: ${payload}`);
  process.stdout.write(`  filed: ${payload}\n`);
}

async function replayKey(key: string, recipients: string[]) {
  if (recipients.length === 0) throw new Error('--recipient is required with --key (the envelope recipients say whose mail it is)');
  const messageId = key.startsWith(INBOUND_RAW_PREFIX) ? key.slice(INBOUND_RAW_PREFIX.length) : key;
  process.stdout.write(`replaying ${INBOUND_RAW_PREFIX}${messageId}\n`);
  await invoke(sesEventFor({ messageId, source: '', recipients: recipients.map((r) => r.toLowerCase()), timestamp: new Date() }));
}

async function replayLocalDeadLetters(file: string) {
  if (!existsSync(file)) {
    process.stdout.write(`no dead letters at ${file}\n`);
    return;
  }
  const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '');
  const remaining: string[] = [];
  for (const line of lines) {
    const entry = JSON.parse(line) as { body: string; error: string };
    process.stdout.write(`replaying a dead letter (failed with: ${entry.error})\n`);
    try {
      await invoke(JSON.parse(entry.body) as SESEvent);
    } catch (error) {
      process.stdout.write(`  still failing: ${(error as Error).message}\n`);
      remaining.push(line);
    }
  }
  writeFileSync(file, remaining.map((line) => `${line}\n`).join(''));
  process.stdout.write(`${lines.length - remaining.length} replayed, ${remaining.length} left in ${file}\n`);
}

/** Lambda's on-failure destination wraps the event: `{ requestContext, requestPayload, … }`. */
async function replayQueue(queueUrl: string) {
  const sqs = new SQSClient({});
  let replayed = 0;
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    if (Messages.length === 0) break;
    for (const message of Messages) {
      const record = JSON.parse(message.Body ?? '{}') as { requestPayload?: SESEvent };
      if (!record.requestPayload?.Records) {
        process.stdout.write(`skipping ${message.MessageId}: not an on-failure record of the inbound function\n`);
        continue;
      }
      await invoke(record.requestPayload);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      replayed++;
    }
  }
  process.stdout.write(`${replayed} replayed from ${queueUrl}\n`);
}

if (values.key) await replayKey(values.key, values.recipient ?? []);
else if (values['dead-letters']) await replayLocalDeadLetters(values.file ?? join(local.dataDir, 'dead-letters', 'inbound.jsonl'));
else if (values['queue-url']) await replayQueue(values['queue-url']);
else {
  process.stderr.write('Use --key <key> --recipient <address>, --dead-letters [--file F], or --queue-url <url> --function <name>\n');
  process.exit(2);
}
