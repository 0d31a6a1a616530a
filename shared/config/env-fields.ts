import * as z from 'zod/mini';

/**
 * Zod fields for environment variables. Each issue message may hold `{name}`, replaced by the
 * variable's name when the schema is read (see readConfig), so every error names what to fix.
 * zod/mini: the send worker and inbound load nothing else of zod, and cold start counts.
 */
type Environment = Record<string, string | undefined>;

const present = (value: string | undefined): value is string => value !== undefined && value !== '';

/** An environment variable as it arrives, then turned into what the code uses. */
const variable = <T>(fn: (value: string | undefined, ctx: { addIssue(issue: { code: 'custom'; message: string }): void }) => T) =>
  z.pipe(
    z.optional(z.string()),
    z.transform<string | undefined, T>((value, payload) =>
      fn(value, { addIssue: (issue) => payload.issues.push({ ...issue, input: value }) }),
    ),
  );

/** A string that must be set and not empty. */
export const requiredString = () =>
  variable((value, ctx) => {
    if (present(value)) return value;
    ctx.addIssue({ code: 'custom', message: 'Missing required environment variable {name}' });
    return z.NEVER;
  });

/** A string, the fallback when unset or empty. */
export const stringOr = (fallback: string) => variable((value) => (present(value) ? value : fallback));

/** A string when set and not empty, else undefined. */
export const optionalString = () => variable((value) => (present(value) ? value : undefined));

/** An integer (at least `min` when given), the fallback when unset or empty. */
export const integerOr = (fallback: number, min?: number) =>
  variable((raw, ctx) => {
    if (!present(raw)) return fallback;
    const value = Number(raw);
    if (Number.isInteger(value) && (min === undefined || value >= min)) return value;
    const expected = min === undefined ? 'an integer' : `a whole number of at least ${min}`;
    ctx.addIssue({ code: 'custom', message: `Environment variable {name} must be ${expected}, got "${raw}"` });
    return z.NEVER;
  });

/** A finite number (a rate like 0.04), the fallback when unset or empty. */
export const numberOr = (fallback: number) =>
  variable((raw, ctx) => {
    if (!present(raw)) return fallback;
    const value = Number(raw);
    if (Number.isFinite(value) && value >= 0) return value;
    ctx.addIssue({ code: 'custom', message: `Environment variable {name} must be a number of 0 or more, got "${raw}"` });
    return z.NEVER;
  });

/** A comma-separated list (items trimmed, empty items dropped); the fallback only when unset. */
export const listOr = (fallback: readonly string[]) =>
  variable((raw) =>
    raw === undefined
      ? [...fallback]
      : raw
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item.length > 0),
  );

/** 1, true or yes (any case) is true; the fallback when unset or empty. */
export const booleanOr = (fallback: boolean) =>
  variable((raw) => (present(raw) ? ['1', 'true', 'yes'].includes(raw.toLowerCase()) : fallback));

/** Parses the variables a schema names from the environment; throws an Error naming the first bad one. */
export function readConfig<S extends z.ZodMiniType>(schema: S, env: Environment): z.output<S> {
  const result = z.safeParse(schema, env);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const name = String(issue.path[0] ?? '');
  throw new Error(issue.message.includes('{name}') ? issue.message.replaceAll('{name}', name) : `Environment variable ${name}: ${issue.message}`);
}

/** A schema built on first use and kept: a function's entry reads only the concerns it needs. */
export function lazySchema<S>(build: () => S): () => S {
  let schema: S | undefined;
  return () => (schema ??= build());
}

/**
 * The reader of one concern, from one table: each field of the object the code uses, with the
 * environment variable it comes from and that variable's field above. The schema is built on
 * first use (lazySchema); errors name the variable (readConfig), the first in table order.
 */
export function readerOf<const Fields extends Record<string, readonly [variable: string, field: z.ZodMiniType]>>(table: () => Fields) {
  const schema = lazySchema(() => {
    const fields = Object.entries(table());
    return z.pipe(
      z.object(Object.fromEntries(fields.map(([, [variable, field]]) => [variable, field]))),
      z.transform((env: Record<string, unknown>) => Object.fromEntries(fields.map(([key, [variable]]) => [key, env[variable]]))),
    );
  });
  return (env: Environment = process.env) => readConfig(schema(), env) as { -readonly [Key in keyof Fields]: z.output<Fields[Key][1]> };
}
