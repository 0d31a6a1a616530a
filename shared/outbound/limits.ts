/**
 * Limits of an outgoing candidate mail, in one place: the API schema, the builder and the
 * tests read them from here.
 */

/**
 * Total decoded size of all attachments of one message, inline and uploaded: 15 MB, so that
 * the encoded mail (base64: 4/3) stays under Gmail's 25 MB and Microsoft 365's 35 MB.
 */
export const MAX_ATTACHMENTS_TOTAL_BYTES = 15 * 1024 * 1024;

/** Attachments per message; the size limit is the real bound, this keeps the MIME tree small. */
export const MAX_ATTACHMENTS = 50;

/** To + Cc of one message. SES refuses more than 50 recipients per message. */
export const MAX_RECIPIENTS = 50;

/** RFC 5322 allows 998 characters per header line; nodemailer folds longer encoded values. */
export const MAX_SUBJECT_LENGTH = 998;

export const MAX_DISPLAY_NAME_LENGTH = 200;

/** Message ids kept in References; threads longer than this keep the first and the latest ones. */
export const MAX_REFERENCES = 50;

export const MAX_FILENAME_LENGTH = 255;

/** Value length of one of our own `X-` headers. */
export const MAX_CUSTOM_HEADER_LENGTH = 500;
