import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';

// Every schema module imports this module first, so that each schema can carry its OpenAPI
// metadata (`.openapi(…)`). Only ZodType's prototype is extended, and schema modules use
// `import * as z from 'zod'` themselves: handing zod's whole namespace around would keep all of
// zod (its locales too) in every Lambda bundle, and that is most of an API function's cold start.
extendZodWithOpenApi({ ZodType: z.ZodType } as unknown as typeof z);

export { z };
