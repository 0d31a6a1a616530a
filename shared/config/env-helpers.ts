/**
 * The local runner's own settings (ports, intervals, limits) from the environment: an empty
 * value is the default, a number must be an integer. The functions' configuration is read by
 * the schemas in this folder instead.
 */
export function optionalEnv(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

export function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new Error(`Environment variable ${name} must be an integer, got "${raw}"`);
  return value;
}
