import { platformOperations as ops } from '../../shared/api/email-settings-operations';
import { buildOpenApiDocument } from '../../shared/api/openapi';
import { egressIpsFromEnv } from '../../shared/composition/egress-ips';
import { providerPresetsView } from '../../shared/email-settings/providers';
import { createApiHandler, operation } from '../../shared/http/api-handler';

const egressIps = egressIpsFromEnv();
let openApiDocument: unknown;

export const handler = createApiHandler([
  operation(ops.health, async () => ({ status: 200, body: { ok: true } })),
  operation(ops.openapi, async () => {
    openApiDocument ??= buildOpenApiDocument();
    return { status: 200, body: openApiDocument };
  }),
  operation(ops.egressIps, async () => ({ status: 200, body: { ips: egressIps } })),
  operation(ops.providers, async () => ({ status: 200, body: { items: providerPresetsView() } })),
]);
