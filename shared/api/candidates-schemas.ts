import { emailAddress, entityId, scopeId, singleLine } from './common-schemas';
import './zod';
import * as z from 'zod';

export const CandidateParams = z.object({ candidateId: entityId });

export const PutCandidateBody = z
  .object({
    emails: z.array(emailAddress).min(1).max(20).openapi({ description: 'The first is the primary address (default recipient).' }),
    name: singleLine(200).optional(),
    scope: scopeId.optional().openapi({ description: 'The sub-company the candidate belongs to (default `main`).' }),
    closedAt: z.iso
      .datetime({ offset: true })
      .nullable()
      .optional()
      .openapi({ description: 'When the application was closed (rejected, withdrawn): retention counts from here. `null` reopens; absent keeps the stored value.' }),
  })
  .strict()
  .openapi('PutCandidate');

export const CandidateBody = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    emails: z.array(z.string()),
    scope: z.string(),
    closedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Candidate');
