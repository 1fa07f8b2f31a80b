// Tests of audit_csv: header, one row per event, RFC 4180 quoting, formula neutralisation, csv_config.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { auditCsv, CSV_COLUMNS, csvHeader, formatCsvLine, neutraliseCell, UnquotableCellError, type CsvAuditOptions } from '../../../../src/plugins/auditing/audit_csv';
import type { AuditEvent } from '../../../../src/plugins/types';
import { createAuditor, errorResponseEvent, notificationEvent, parseCsv, pipeline, requestEvent, responseEvent, stage, tempDir, testEnv } from './helpers';

const HEADER =
  'timestamp,event_type,request_id,server_name,method,tool,pipeline_outcome,security_evaluated,modified,reason,duration_ms,response_status,error_code,error_message,error_classification';

function format(overrides: Record<string, unknown> = {}): CsvAuditOptions['csv_config'] {
  return auditCsv.configSchema.parse({ csv_config: overrides }).csv_config;
}

/** The row of one event as a column → cell map. */
function row(event: AuditEvent, csvConfig: Record<string, unknown> = {}): Record<string, string> {
  const cells = parseCsv(formatCsvLine(event, format(csvConfig)))[0]!;
  assert.equal(cells.length, CSV_COLUMNS.length);
  return Object.fromEntries(CSV_COLUMNS.map((column, i) => [column, cells[i]!]));
}

describe('audit_csv', () => {
  it("has Gatekit's keys and defaults, strictly", () => {
    assert.deepEqual(auditCsv.configSchema.parse({}), {
      output_file: 'logs/gatekit_audit.csv',
      max_file_size_mb: 10,
      backup_count: 5,
      csv_config: { delimiter: ',', quote_char: '"', quote_style: 'minimal', escape_char: '\\', null_value: '' },
    });
    assert.equal(auditCsv.configSchema.safeParse({ csv_config: { delimiter: ':' } }).success, false);
    assert.equal(auditCsv.configSchema.safeParse({ csv_config: { quote_char: '""' } }).success, false);
    assert.equal(auditCsv.configSchema.safeParse({ csv_config: { separator: ',' } }).success, false);
    assert.equal(auditCsv.configSchema.safeParse({ include_request_body: true }).success, false);
  });

  it('writes the fixed header', () => {
    assert.equal(csvHeader(format()), HEADER);
  });

  it('writes a row per event type with the mapped fields', () => {
    assert.deepEqual(row(requestEvent({ pipeline: pipeline({ stages: [stage({ reason: 'No PII detected' })] }) })), {
      timestamp: '2025-01-12T15:30:45.123Z',
      event_type: 'REQUEST',
      request_id: '7',
      server_name: 'gh',
      method: 'tools/call',
      tool: 'echo',
      pipeline_outcome: 'allowed',
      security_evaluated: 'true',
      modified: 'false',
      reason: '[basic_pii_filter] No PII detected',
      duration_ms: '0',
      response_status: '',
      error_code: '',
      error_message: '',
      error_classification: '',
    });
    const ok = row(responseEvent());
    assert.equal(ok.event_type, 'RESPONSE');
    assert.equal(ok.duration_ms, '45');
    assert.equal(ok.response_status, 'success');
    const failed = row(errorResponseEvent(-32601, "Tool 'x' is not available"));
    assert.deepEqual([failed.event_type, failed.response_status, failed.error_code, failed.error_message, failed.error_classification], [
      'RESPONSE',
      'error',
      '-32601',
      "Tool 'x' is not available",
      'method_not_found',
    ]);
    assert.equal(row(errorResponseEvent(-32004, 'down')).error_classification, 'server_error');
    const modified = pipeline({ modified: true, stages: [stage({ outcome: 'modified', reason: 'x' })] });
    const blocked = pipeline({ outcome: 'blocked', sensitive: true, stages: [stage({ outcome: 'blocked', reason: '[blocked]' })] });
    assert.equal(row(requestEvent({ pipeline: modified })).event_type, 'REQUEST_MODIFIED');
    assert.equal(row(requestEvent({ pipeline: blocked, message: undefined })).event_type, 'SECURITY_BLOCK');
    assert.equal(row(responseEvent({ pipeline: modified })).event_type, 'RESPONSE_MODIFIED');
    assert.equal(row(notificationEvent({ pipeline: modified })).event_type, 'NOTIFICATION_MODIFIED');
    const note = row(notificationEvent({ pipeline: pipeline({ outcome: 'no_security_evaluation', securityEvaluated: false }) }));
    assert.deepEqual([note.event_type, note.request_id, note.tool, note.pipeline_outcome], ['NOTIFICATION', '', '', 'no_security']);
    assert.equal(note.reason, 'no_security params={"progress":1,"total":2}');
  });

  it('quotes cells holding the delimiter or quotes (RFC 4180) and reads back the same text', () => {
    const reason = 'said "hi", then left';
    const line = formatCsvLine(requestEvent({ pipeline: pipeline({ stages: [stage({ reason })] }) }), format());
    assert.ok(line.includes('"[basic_pii_filter] said ""hi"", then left"'));
    assert.equal(row(requestEvent({ pipeline: pipeline({ stages: [stage({ reason })] }) })).reason, `[basic_pii_filter] ${reason}`);
  });

  it('neutralises cells that a spreadsheet would run as formulas', () => {
    for (const start of ['=', '+', '-', '@', '\t']) {
      const cells = row(requestEvent({ serverName: `${start}cmd|' /C calc'!A0`, tool: `${start}SUM(A1)` }));
      assert.equal(cells.server_name[0], "'", JSON.stringify(start));
      assert.equal(cells.tool, `'${start}SUM(A1)`);
    }
    assert.equal(neutraliseCell('\rx'), "'\\rx");
    assert.equal(neutraliseCell('=1+1'), "'=1+1");
    assert.equal(neutraliseCell('plain'), 'plain');
    // Numbers are data: a negative error code stays a number.
    assert.equal(row(errorResponseEvent(-32000, 'x')).error_code, '-32000');
  });

  it('keeps every row on one line by escaping line breaks and control characters', () => {
    const line = formatCsvLine(requestEvent({ tool: 'a\nb\r\nc\\d\u0007e\u2028f' }), format());
    assert.equal(/[\r\n\u2028]/.test(line), false);
    assert.equal(row(requestEvent({ tool: 'a\nb\r\nc\\d\u0007e\u2028f' })).tool, 'a\\nb\\r\\nc\\\\d\\x07e\\u2028f');
  });

  it('cuts cells at the spreadsheet limit', () => {
    const cells = row(requestEvent({ tool: 'k'.repeat(40000) }));
    assert.equal(cells.tool.length, 32000);
    assert.ok(cells.tool.endsWith('...'));
  });

  it('honours csv_config: delimiter, quote styles, null value', () => {
    const semicolon = formatCsvLine(requestEvent({ tool: 'a;b' }), format({ delimiter: ';', null_value: 'NULL' }));
    const cells = parseCsv(semicolon, ';')[0]!;
    assert.equal(cells[5], 'a;b');
    assert.equal(cells[11], 'NULL');
    assert.equal(csvHeader(format({ delimiter: '\t' })), HEADER.split(',').join('\t'));

    const all = formatCsvLine(responseEvent(), format({ quote_style: 'all' }));
    assert.ok(all.split(',').every((cell) => cell.startsWith('"') && cell.endsWith('"')), all);
    assert.equal(csvHeader(format({ quote_style: 'all' })).split(',')[0], '"timestamp"');

    const nonnumeric = formatCsvLine(responseEvent(), format({ quote_style: 'nonnumeric' })).split(',');
    assert.equal(nonnumeric[2], '7'); // request_id
    assert.equal(nonnumeric[10], '45'); // duration_ms
    assert.equal(nonnumeric[3], '"gh"');

    // Spreadsheets ignore backslash escapes, so `none` refuses a record it cannot write as cells (nothing half-written).
    assert.throws(() => formatCsvLine(requestEvent({ tool: 'a,b"c' }), format({ quote_style: 'none' })), UnquotableCellError);
    assert.throws(() => formatCsvLine(requestEvent({ tool: 'a;b' }), format({ quote_style: 'none' })), UnquotableCellError);
    const none = formatCsvLine(requestEvent({ tool: 'a\\b' }), format({ quote_style: 'none' }));
    // The cell's backslash is escaped by the cell (\\) and each of those by escape_char.
    assert.ok(none.includes(`,a${'\\'.repeat(4)}b,`), none);
  });

  it('quotes a cell holding the delimiter of any common locale and neutralises a formula start in every segment', () => {
    for (const [tool, expected] of [
      ['x;=HYPERLINK("http://evil")', `"x;'=HYPERLINK(""http://evil"")"`],
      ['x\t+cmd', `"x\t'+cmd"`],
      ['a| @SUM(1)', `"a| '@SUM(1)"`],
      ['n,-2+3', `"n,'-2+3"`],
    ]) {
      for (const delimiter of [',', ';', '\t', '|'] as const) {
        const line = formatCsvLine(requestEvent({ tool }), format({ delimiter }));
        assert.ok(line.split(delimiter).length > 1 && line.includes(expected), `${JSON.stringify(tool)} with ${JSON.stringify(delimiter)}: ${line}`);
      }
    }
    // `none` cannot hold such a null value either: refused when the config is read.
    assert.throws(() => auditCsv.configSchema.parse({ csv_config: { quote_style: 'none', null_value: 'n;a' } }), /null_value/);
  });

  describe('files', () => {
    let tmp: ReturnType<typeof tempDir>;
    beforeEach(() => (tmp = tempDir()));
    afterEach(() => tmp.dispose());

    it('starts the file (and every rotated file) with the header, one line per event', async () => {
      const auditor = createAuditor(auditCsv, { output_file: 'audit.csv', max_file_size_mb: 0.001, backup_count: 10 }, testEnv(tmp.dir));
      const events = [requestEvent(), responseEvent(), notificationEvent(), errorResponseEvent(-32601, 'no')];
      for (let i = 0; i < 20; i++) await auditor.record(events[i % events.length]!);
      await auditor.close!();
      const files = readdirSync(tmp.dir);
      assert.ok(files.length > 1, 'expected rotation at 1 KiB');
      let rows = 0;
      for (const name of files) {
        const lines = readFileSync(path.join(tmp.dir, name), 'utf8').trimEnd().split('\n');
        assert.equal(lines[0], HEADER);
        for (const line of lines.slice(1)) assert.equal(parseCsv(line)[0]!.length, CSV_COLUMNS.length);
        rows += lines.length - 1;
      }
      assert.equal(rows, 20);
    });
  });
});
