import { platformOperations as ops } from '../../shared/api/email-settings-operations';
import { buildOpenApiDocument } from '../../shared/api/openapi';
import { egressIpsFromEnv } from '../../shared/composition/egress-ips';
import { providerPresetsView } from '../../shared/smtp/provider-presets';
import { createApiHandler, operation } from '../../shared/http/api-handler';

const egressIps = egressIpsFromEnv();
/** One document per host it is served from (its `servers` entry); a handful at most. */
const openApiDocuments = new Map<string, unknown>();

export const handler = createApiHandler([
  operation(ops.health, async () => ({ status: 200, body: { ok: true } })),
  operation(ops.openapi, async ({ headers }) => {
    const serverUrl = headers.host ? `${headers['x-forwarded-proto'] ?? 'http'}://${headers.host}` : '';
    let document = openApiDocuments.get(serverUrl);
    if (!document) {
      document = buildOpenApiDocument(serverUrl || undefined);
      if (openApiDocuments.size < 8) openApiDocuments.set(serverUrl, document);
    }
    return { status: 200, body: document };
  }),
  operation(ops.egressIps, async () => ({ status: 200, body: { ips: egressIps } })),
  operation(ops.providers, async () => ({ status: 200, body: { items: providerPresetsView() } })),
]);
