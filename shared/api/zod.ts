import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// Every schema is built from this `z`, so that each can carry its OpenAPI metadata.
extendZodWithOpenApi(z);

export { z };
