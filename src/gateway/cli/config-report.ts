// Every problem of a configuration, for a person at a terminal: where (file, line, field), what,
// and the fix. The client's error carries the same list in `data.problems`.
import type { ConfigError } from '../../config/errors';

/**
 * Several lines: the original's `Configuration invalid: <message>` heading (the first problem, so
 * scripts written for it still match), then every problem in document order with its fix.
 */
export function formatConfigReport(error: ConfigError): string {
  const lines = [`Configuration invalid: ${error.message}`];
  error.issues.forEach((issue, index) => {
    const where = [issue.line === undefined ? undefined : `line ${issue.line}`, issue.path === '' ? undefined : issue.path].filter(Boolean).join(', ');
    lines.push(`  ${index + 1}. ${where === '' ? '' : `${where}: `}${issue.message}`);
    lines.push(`     fix: ${issue.fixInstructions}`);
  });
  return lines.join('\n');
}

/** The problems as plain data for a JSON-RPC error's `data` (bounded: a client shows it whole). */
export function configProblemsData(error: ConfigError): { path: string; line?: number; message: string; fix_instructions: string }[] {
  return error.issues.slice(0, 50).map((issue) => ({
    path: issue.path,
    ...(issue.line === undefined ? {} : { line: issue.line }),
    message: issue.message,
    fix_instructions: issue.fixInstructions,
  }));
}
