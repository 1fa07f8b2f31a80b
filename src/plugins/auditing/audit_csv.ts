// `audit_csv`: one spreadsheet row per message under Gatekit's fixed header, one physical line per
// row, cells neutralised against formula injection.
import type { AuditEvent, PluginDefinition } from '../types';
import { createFileAuditor } from './audit-file';
import { ANY_DELIMITER, auditCsvDescriptor, needsQuoting, type CsvAuditOptions } from './audit_csv.descriptor';
import { classifyErrorCode, toAuditRecord } from './audit-record';

type CsvFormat = CsvAuditOptions['csv_config'];

/** Gatekit's columns, in order. */
export const CSV_COLUMNS = [
  'timestamp',
  'event_type',
  'request_id',
  'server_name',
  'method',
  'tool',
  'pipeline_outcome',
  'security_evaluated',
  'modified',
  'reason',
  'duration_ms',
  'response_status',
  'error_code',
  'error_message',
  'error_classification',
] as const;

/** Longest text cell: spreadsheets refuse more than 32,767 characters in a cell. */
const MAX_CELL_CHARS = 32000;
const CELL_CUT_MARK = '...';

type Cell = string | number | null;

// Characters a spreadsheet may read as the start of a formula (tab and CR included: some
// applications strip them and look at what follows).
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r']);
/** A formula trigger right after a delimiter (spaces between allowed): a cell split there starts a formula. */
const SEGMENT_FORMULA_START = /([,;\t|] *)(?=[=+\-@])/g;
const NEEDS_ESCAPING = /[\\\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]/;
const ESCAPED_CHARACTERS = /[\\\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]/g;

function escapeCharacter(c: string): string {
  switch (c) {
    case '\\':
      return '\\\\';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    default: {
      const code = c.charCodeAt(0);
      return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
    }
  }
}

/**
 * A text cell as written: backslashes, line breaks and other control characters escaped so the row
 * stays one line, cut to the spreadsheet cell limit, and prefixed with `'` when it could start a
 * formula. Numbers are written as numbers and never prefixed (a negative error code is data).
 */
export function neutraliseCell(text: string): string {
  let value = NEEDS_ESCAPING.test(text) ? text.replace(ESCAPED_CHARACTERS, escapeCharacter) : text;
  if (value.length > MAX_CELL_CHARS) value = value.slice(0, MAX_CELL_CHARS - CELL_CUT_MARK.length) + CELL_CUT_MARK;
  // Every segment a spreadsheet might split the cell into is neutralised, not only the first.
  if (ANY_DELIMITER.test(value)) value = value.replace(SEGMENT_FORMULA_START, "$1'");
  // The raw first character counts too: a leading CR is escaped above but was meant as a trigger.
  return value.length > 0 && (FORMULA_START.has(value[0]!) || FORMULA_START.has(text[0]!)) ? `'${value}` : value;
}


/** Thrown for a record that `quote_style: none` cannot write safely; the record is not written at all. */
export class UnquotableCellError extends Error {}

/** Quotes one cell per the configured style (RFC 4180 doubling inside quotes). */
function quoteCell(cell: Cell, format: CsvFormat): string {
  const numeric = typeof cell === 'number';
  const text = cell === null ? format.null_value : numeric ? String(cell) : cell;
  const q = format.quote_char;
  switch (format.quote_style) {
    case 'all':
      return q + text.split(q).join(q + q) + q;
    case 'nonnumeric':
      return numeric ? text : q + text.split(q).join(q + q) + q;
    case 'none': {
      // Spreadsheets ignore backslash escapes: a delimiter in an unquoted cell splits it whatever precedes it.
      if (needsQuoting(text, format)) throw new UnquotableCellError(`audit_csv: a cell holds a field delimiter (, ; TAB |) or the quote character, which quote_style 'none' cannot write as one cell; record not written (use quote_style 'minimal')`);
      const e = format.escape_char;
      let out = '';
      for (const c of text) out += c === e ? e + c : c;
      return out;
    }
    default:
      return needsQuoting(text, format) ? q + text.split(q).join(q + q) + q : text;
  }
}

function textCell(value: string | undefined): Cell {
  return value === undefined || value === '' ? null : neutraliseCell(value);
}

function joinRow(cells: readonly Cell[], format: CsvFormat): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) {
    if (i > 0) line += format.delimiter;
    line += quoteCell(cells[i]!, format);
  }
  return line;
}

/** The header line for the configured format. */
export function csvHeader(format: CsvFormat): string {
  return joinRow(CSV_COLUMNS, format);
}

/** The CSV row of one event (without the line terminator). */
export function formatCsvLine(event: AuditEvent, format: CsvFormat): string {
  const record = toAuditRecord(event);
  let reason = record.reason;
  // Gatekit put a notification's parameters into its reason column; only the log-safe copy is read.
  if (event.type === 'notification' && event.message && 'params' in event.message && event.message.params) {
    if (Object.keys(event.message.params).length > 0) {
      const params = JSON.stringify(event.message.params);
      reason = reason ? `${reason} params=${params}` : `params=${params}`;
    }
  }
  const answer = record.answer;
  const requestId = record.requestId;
  const cells: Cell[] = [
    record.timestamp,
    record.eventType,
    typeof requestId === 'number' ? requestId : textCell(requestId ?? undefined),
    textCell(record.serverName),
    textCell(record.method),
    textCell(record.tool),
    record.outcome,
    record.securityEvaluated ? 'true' : 'false',
    record.modified ? 'true' : 'false',
    textCell(reason),
    record.durationMs ?? 0,
    textCell(answer?.status),
    answer?.errorCode ?? null,
    textCell(answer?.errorMessage),
    answer?.status === 'error' ? classifyErrorCode(answer.errorCode) : null,
  ];
  return joinRow(cells, format);
}

export type { CsvAuditOptions };

/** Gatekit's CSV audit log. */
export const auditCsv: PluginDefinition<CsvAuditOptions> = {
  ...auditCsvDescriptor,
  create: (options, env) =>
    createFileAuditor(options, env, (event) => formatCsvLine(event, options.csv_config), csvHeader(options.csv_config)),
};
