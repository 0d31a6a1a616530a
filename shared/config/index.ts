/**
 * Configuration from the environment, in one place: a schema per concern (concerns.ts), a typed
 * object per function (function-configs.ts). Nothing else in shared/ reads process.env. The
 * plain helpers (env-helpers.ts) serve the local runner and scripts.
 */
export * from './concerns';
export * from './env-helpers';
export * from './function-configs';
