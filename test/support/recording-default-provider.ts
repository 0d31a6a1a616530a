import type { DefaultProvider, DefaultProviderSendInput, DefaultProviderSendResult } from '../../shared/outbound/default-provider';
import { tick } from './tick';

/**
 * A DefaultProvider that records every message handed to it. Each call takes the next scripted
 * outcome (an error to throw); with none left it accepts, answering like SES does.
 */
export class RecordingDefaultProvider implements DefaultProvider {
  readonly sent: DefaultProviderSendInput[] = [];
  readonly failures: Error[] = [];
  private counter = 0;

  failNext(...errors: Error[]): this {
    this.failures.push(...errors);
    return this;
  }

  async send(input: DefaultProviderSendInput): Promise<DefaultProviderSendResult> {
    await tick();
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push(input);
    this.counter += 1;
    const providerMessageId = `0100019${this.counter.toString().padStart(6, '0')}-fake`;
    return { providerMessageId, messageIdHeader: `<${providerMessageId}@email.amazonses.com>` };
  }
}
