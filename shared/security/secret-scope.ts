/**
 * The secrets the current piece of work knows (an SMTP password being tested or used, later
 * OAuth tokens), carried through its async calls, so that the logger's boundary can redact
 * them from every log line written meanwhile (shared/logger.ts), whoever writes it. Errors that
 * leave the scope have the secrets removed from their message and stack too, so that a caller
 * logging them later cannot leak them either.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { redactText } from '../smtp/redact-secrets';

const storage = new AsyncLocalStorage<string[]>();

/** Runs `work` with `forms` (from `secretForms`) redacted from logs; nested scopes add up. */
export async function withSecretsRedacted<T>(forms: string[], work: () => Promise<T>): Promise<T> {
  if (forms.length === 0) return work();
  const all = [...new Set([...activeSecretForms(), ...forms])].sort((a, b) => b.length - a.length);
  try {
    return await storage.run(all, work);
  } catch (error) {
    throw redactError(error, all);
  }
}

/** The secret forms of the scope the caller runs in (none outside one). */
export function activeSecretForms(): string[] {
  return storage.getStore() ?? [];
}

/** Removes the forms from an error's message and stack (and its cause's), in place. */
export function redactError(error: unknown, forms: string[]): unknown {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const fields = current as unknown as Record<string, unknown>;
    for (const key of ['message', 'stack', 'response', 'smtpResponse', 'reply']) {
      const value = fields[key];
      try {
        if (typeof value === 'string') fields[key] = redactText(value, forms);
      } catch {
        // A read-only field stays as it is.
      }
    }
    current = current.cause;
  }
  return error;
}

/** For the logger: a JSON replacer that redacts every string of a log line. */
export function redactingJsonReplacer(_key: string, value: unknown): unknown {
  const forms = activeSecretForms();
  return typeof value === 'string' && forms.length > 0 ? redactText(value, forms) : value;
}
