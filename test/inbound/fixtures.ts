import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseInboundMail, type ParsedInboundMail } from '../../shared/inbound/parse-inbound-mail';
import { MemoryAttachmentSink } from './memory-attachment-sink';

export const FIXTURE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'mail');
export const CORPUS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'corpora');

export const readFixture = (name: string): Buffer => readFileSync(resolve(FIXTURE_DIR, name));

export async function parseFixture(name: string): Promise<ParsedInboundMail> {
  return parseInboundMail(readFixture(name), new MemoryAttachmentSink());
}

export const CONTEXT = {
  companyAddresses: ['Jobs@Acme.example'],
  ourDomains: ['inbound.localhost', 'mail.recruiting.example'],
};
