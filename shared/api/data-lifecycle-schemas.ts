import { entityId } from './common-schemas';
import './zod';
import * as z from 'zod';
import { ERASURE_STATUSES } from '../data-lifecycle/erasure-model';
import { EXPORT_STATUSES } from '../data-lifecycle/export-model';

export const AnonymizeBody = z
  .object({
    includeUnassigned: z.boolean().optional().openapi({ description: 'Also erase unassigned mail from or to any of the candidate’s addresses.' }),
  })
  .strict()
  .openapi('Anonymize');

export const ErasureParams = z.object({ erasureId: entityId });

const counts = z.object({
  messages: z.number().int().openapi({ description: 'Messages erased (items with their bodies, attachments and raw mail).' }),
  objects: z.number().int().openapi({ description: 'Objects deleted from the mail bucket.' }),
});

/** An erasure as shown: status, counts and times; never a name, an address or a subject. */
export const ErasureBody = z
  .object({
    erasureId: z.string(),
    kind: z.enum(['candidate', 'company']),
    candidateId: z.string().nullable(),
    includeUnassigned: z.boolean(),
    status: z.enum(ERASURE_STATUSES),
    counts,
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .openapi('Erasure');

export const OffboardBody = z
  .object({ confirm: z.string().max(128).openapi({ description: 'The company id of the token, to confirm that every item and object of the company goes.' }) })
  .strict()
  .openapi('Offboard');

export const RetentionBody = z
  .object({
    anonymizeClosedAfterDays: z.number().int().min(1).max(3650).nullable().openapi({ description: 'Days after a candidate’s `closedAt` its data is anonymized; `null`: never.' }),
    unassignedDays: z.number().int().min(1).max(3650).openapi({ description: 'Days unassigned mail is kept from its receipt (default 180).' }),
  })
  .openapi('DataRetention');

export const PutRetentionBody = z
  .object({
    anonymizeClosedAfterDays: RetentionBody.shape.anonymizeClosedAfterDays.optional(),
    unassignedDays: RetentionBody.shape.unassignedDays.optional(),
  })
  .strict()
  .openapi('PutDataRetention');

export const ExportParams = z.object({ exportId: entityId });

export const ExportAcceptedBody = z.object({ exportId: z.string(), status: z.enum(EXPORT_STATUSES) }).openapi('ExportAccepted');

/** An export as shown: status, and once done a download link and when it ends. */
export const ExportBody = z
  .object({
    exportId: z.string(),
    candidateId: z.string(),
    status: z.enum(EXPORT_STATUSES),
    downloadUrl: z.string().optional().openapi({ description: 'Once `done`: the zip (one `.eml` per message and `index.json`), a link valid 1 hour.' }),
    expiresAt: z.string().optional().openapi({ description: 'When the link ends; the zip itself is deleted 24 hours after it was made.' }),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .openapi('Export');
