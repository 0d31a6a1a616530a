import { platformOperations as ops } from '../../shared/api/email-settings-operations';
import { platformFunctionConfig } from '../../shared/config/function-configs';
import { bindOperations, createApiHandler } from '../../shared/http/api-handler';

const config = platformFunctionConfig();
const egressIps = config.egressIps;
/** One document per host it is served from (its `servers` entry); a handful at most. */
const openApiDocuments = new Map<string, unknown>();

/**
 * Health and egress IPs are answered from what is loaded at cold start; the OpenAPI generator
 * (with every operation's schemas) and the provider presets are imported by the first request
 * for them.
 */
export const handler = createApiHandler(
  bindOperations(ops, {
    health: async () => ({ status: 200, body: { ok: true as const } }),
    openapi: async ({ headers }) => {
      const serverUrl = headers.host ? `${headers['x-forwarded-proto'] ?? 'http'}://${headers.host}` : '';
      let document = openApiDocuments.get(serverUrl);
      if (!document) {
        const { buildOpenApiDocument } = await import('../../shared/api/openapi');
        document = buildOpenApiDocument(serverUrl || undefined);
        if (openApiDocuments.size < 8) openApiDocuments.set(serverUrl, document);
      }
      return { status: 200, body: document };
    },
    egressIps: async () => ({ status: 200, body: { ips: egressIps } }),
    providers: async () => {
      const { providerPresetsView } = await import('../../shared/smtp/provider-presets');
      return { status: 200, body: { items: providerPresetsView() } };
    },
  }),
  config,
);
