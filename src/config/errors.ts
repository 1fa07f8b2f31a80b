// The one error the config layer throws: a code the gateway answers with, the field path, the line,
// and what to do about it.
import type { ErrorCode } from '../shared/jsonrpc';
import type { ConfigProblem } from '../shared/vocabulary';

/** -32001: the configuration is invalid; -32002: a plugin handler that does not exist. */
export type ConfigErrorCode = typeof ErrorCode.ConfigInvalid | typeof ErrorCode.UnknownPlugin;

/** One problem found in a configuration: the shared {@link ConfigProblem} with its code and, always, a fix. */
export interface ConfigIssue extends ConfigProblem {
  readonly code: ConfigErrorCode;
  /** What to change. */
  readonly fixInstructions: string;
}

/** `proxy.upstreams[0].name` from `['proxy', 'upstreams', 0, 'name']`; odd keys are quoted. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      if (/^[A-Za-z_$][\w$-]*$/.test(key)) out += out === '' ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

function location(issue: ConfigIssue, sourcePath: string | undefined): string {
  const where: string[] = [];
  if (sourcePath !== undefined) where.push(sourcePath);
  if (issue.line !== undefined) where.push(`line ${issue.line}`);
  const suffix = where.length > 0 ? ` (${where.join(', ')})` : '';
  return issue.path === '' ? suffix : ` at ${issue.path}${suffix}`;
}

/** `Invalid configuration at proxy.upstreams[0].name (gatekit.yaml, line 5): <message>` */
export function formatIssue(issue: ConfigIssue, sourcePath?: string): string {
  return `Invalid configuration${location(issue, sourcePath)}: ${issue.message}`;
}

/**
 * A configuration that cannot be used. `message` describes the first issue (path, line, what is
 * wrong, did-you-mean); `issues` holds every issue found, in document order.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  readonly path: string;
  readonly line?: number;
  readonly fixInstructions: string;
  readonly issues: readonly ConfigIssue[];
  /** The config file (or source label) the issues refer to, if any. */
  readonly sourcePath?: string;

  constructor(issues: readonly [ConfigIssue, ...ConfigIssue[]], sourcePath?: string) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    super(formatIssue(first, sourcePath) + more);
    this.code = first.code;
    this.path = first.path;
    if (first.line !== undefined) this.line = first.line;
    this.fixInstructions = first.fixInstructions;
    this.issues = issues;
    if (sourcePath !== undefined) this.sourcePath = sourcePath;
  }

  /** A single-issue error, for problems found outside schema validation. */
  static single(issue: ConfigIssue, sourcePath?: string): ConfigError {
    return new ConfigError([issue], sourcePath);
  }
}
