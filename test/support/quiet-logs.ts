// Imported first by unit tests: the product's logger reads its level when its module loads.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.LOG_LEVEL ??= 'SILENT';
