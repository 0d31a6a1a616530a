/** A candidate export's zip is kept this long (lifecycle rule on `exports/`), its link this long. */
export const EXPORT_RETENTION_DAYS = 1;
export const EXPORT_LINK_SECONDS = 3600;
