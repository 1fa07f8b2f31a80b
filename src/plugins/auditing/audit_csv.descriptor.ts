// `audit_csv`'s descriptor: its options and display facts (the writer is in audit_csv.ts).
import * as z from 'zod';
import type { PluginDescriptor } from '../types';
import { AUDIT_FILE_OPTIONS, AUDIT_LOG_OFFERS, fileOptionsShape } from './audit-options';

/**
 * Field delimiters of the common spreadsheet locales: whatever `delimiter` says, a spreadsheet
 * opened in another locale may split on any of these (`;` in much of Europe, TAB and `|` on paste).
 */
export const ANY_DELIMITER = /[,;\t|]/;

/** Whether a cell must be quoted to stay one cell: it holds a delimiter of any common locale or the quote character. */
export function needsQuoting(text: string, format: { readonly quote_char: string }): boolean {
  return ANY_DELIMITER.test(text) || text.includes(format.quote_char);
}

const csvConfigSchema = z.strictObject({
  delimiter: z.enum([',', '\t', ';', '|']).default(','),
  quote_char: z.string().length(1).default('"'),
  quote_style: z.enum(['minimal', 'all', 'nonnumeric', 'none']).default('minimal'),
  escape_char: z.string().length(1).default('\\'),
  null_value: z.string().default(''),
}).refine((format) => format.quote_style !== 'none' || !needsQuoting(format.null_value, format), {
  message: "with quote_style 'none', null_value must not hold a field delimiter (, ; TAB |) or the quote character",
  path: ['null_value'],
});

const configSchema = z.strictObject({
  ...fileOptionsShape('logs/gatekit_audit.csv'),
  csv_config: csvConfigSchema.prefault({}).describe('The CSV dialect: delimiter, quoting, escape character and the text of empty fields.'),
});

/** Parsed `audit_csv` options. */
export type CsvAuditOptions = z.output<typeof configSchema>;

/** Gatekit's CSV audit log. */
export const auditCsvDescriptor: PluginDescriptor<CsvAuditOptions> = {
  handler: 'audit_csv',
  kind: 'auditing',
  displayName: 'CSV',
  description: 'Log every MCP message as a CSV row for spreadsheets, protected against formula injection.',
  configSchema,
  writtenFileOptions: AUDIT_FILE_OPTIONS,
  offers: AUDIT_LOG_OFFERS,
};
