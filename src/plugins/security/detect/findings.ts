// What the content detectors report and how the PII and secrets filters turn findings into decisions:
// span redaction, the base64 pass, and reasons that say what was found and where, never the text.
import type { JsonRpcMessage } from '../../../shared/jsonrpc';
import type { InterceptorPlugin, PluginDecision } from '../../types';
import { contentKeyOf, rewriteMessageStrings, type ContentPath } from '../../content';
import { decodeBase64Text, DEFAULT_MIN_BASE64_LENGTH, findBase64Candidates } from './base64';
import { CooperativePause, detectInSlices } from './slices';
import type { TextFinding } from './text-finding';

export type { TextFinding };

/** Gatekit's `action` for its security filters. */
export type FilterAction = 'block' | 'redact' | 'audit_only';

/**
 * Returns `text` with each finding replaced by its placeholder. `findings` must be sorted by start;
 * overlapping ones are merged under the first one's placeholder. Built from parts, so it is linear.
 */
export function redactFindings<T extends string>(text: string, findings: readonly TextFinding<T>[], placeholder: (type: T) => string): string {
  if (findings.length === 0) return text;
  const parts: string[] = [];
  let cursor = 0;
  for (const finding of findings) {
    if (finding.end <= cursor) continue;
    if (finding.start >= cursor) {
      parts.push(text.slice(cursor, finding.start), placeholder(finding.type));
    }
    cursor = finding.end;
  }
  parts.push(text.slice(cursor));
  return parts.join('');
}

/**
 * Sorts findings by start and drops each one that lies inside an earlier-starting finding of better
 * or equal rank (lower `rank` is better). Partial overlaps are kept: `redactFindings` merges them.
 */
export function resolveOverlaps<T extends string>(found: TextFinding<T>[], rank: (type: T) => number): TextFinding<T>[] {
  if (found.length < 2) return found;
  found.sort((a, b) => a.start - b.start || b.end - a.end || rank(a.type) - rank(b.type));
  const kept: TextFinding<T>[] = [];
  let cover: TextFinding<T> | undefined;
  for (const finding of found) {
    if (cover !== undefined && finding.end <= cover.end) {
      if (rank(cover.type) <= rank(finding.type)) continue;
      kept.push(finding);
      continue;
    }
    kept.push(finding);
    cover = finding;
  }
  return kept;
}

/** Where a type was found: a content path such as `params.arguments.query` or `result.content[0].text`. */
export interface FindingLocation<T extends string> {
  readonly path: string;
  readonly type: T;
  readonly count: number;
  /** Set when the finding was inside base64 (it cannot be redacted there). */
  readonly encoding?: 'base64';
}

export interface ContentScanOptions<T extends string> {
  /** Findings in plain text, sorted by start. */
  readonly detect: (text: string) => TextFinding<T>[];
  /**
   * The types found in decoded base64 text. Every `blob` member (a resource's content, base64 by
   * definition) that decodes to text is scanned with it; other strings only with `scanBase64Runs`.
   */
  detectEncoded?: (decoded: string) => Iterable<T>;
  /** Also decode and scan base64 runs inside any string (`scan_base64`). */
  scanBase64Runs?: boolean;
  /** Return the message with plain-text findings replaced by placeholders. */
  redact: boolean;
  readonly placeholder: (type: T) => string;
}

export interface ContentScanResult<M, T extends string> {
  /** The redacted message (the same object when nothing was redacted or `redact` was off). */
  readonly message: M;
  readonly changed: boolean;
  readonly locations: FindingLocation<T>[];
  readonly foundInBase64: boolean;
}

/** The member of resource contents that carries base64 (`resources/read`, embedded resources in tool results). */
const BLOB_KEY = 'blob';

const IDENTIFIER_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]{0,31}$/;

/**
 * Formats a content path for reasons and logs. Reasons must never replay sensitive text, so only
 * short identifier-like keys that the detector finds clean are shown; others become `[…]`.
 */
function formatPath(root: string, path: ContentPath, keyIsClean: (key: string) => boolean): string {
  let out = root;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (IDENTIFIER_KEY.test(part) && keyIsClean(part)) out += `.${part}`;
    else out += '[…]';
  }
  return out;
}

/** What one string of a message holds: plain findings, and the types found in base64 decoded from it (one per run and type). */
interface StringScan<T extends string> {
  readonly findings: TextFinding<T>[];
  readonly encoded: T[] | undefined;
}

/** The types found in base64 inside `text`: every run when `scanBase64Runs`, else the whole text when it is a `blob`. */
function encodedTypes<T extends string>(text: string, findings: readonly TextFinding<T>[], blob: boolean, options: ContentScanOptions<T>): T[] | undefined {
  const detectEncoded = options.detectEncoded;
  if (detectEncoded === undefined) return undefined;
  let types: T[] | undefined;
  if (options.scanBase64Runs === true) {
    // A string shorter than the shortest base64 run cannot hold one (and the search is a generator).
    if (text.length < DEFAULT_MIN_BASE64_LENGTH) return undefined;
    let next = 0;
    for (const candidate of findBase64Candidates(text)) {
      // Encoded text inside a plain finding is replaced with it; no need to block for it.
      while (next < findings.length && findings[next]!.end <= candidate.start) next++;
      const cover = findings[next];
      if (cover !== undefined && cover.start <= candidate.start && cover.end >= candidate.end) continue;
      for (const type of detectEncoded(candidate.decoded)) (types ??= []).push(type);
    }
  } else if (blob) {
    // The whole blob is one base64 text (binary content, an image say, does not decode to text).
    const decoded = decodeBase64Text(text);
    if (decoded !== undefined) for (const type of detectEncoded(decoded)) (types ??= []).push(type);
  }
  return types;
}

function isBlob(path: ContentPath): boolean {
  return path[path.length - 1] === BLOB_KEY;
}

/** Thrown inside a synchronous scan when the content is larger than its budget. */
class OverBudget extends Error {}
const OVER_BUDGET = new OverBudget('content larger than the synchronous scan budget');

/**
 * The scan itself: each string's findings come from `scans` (computed beforehand, in the order the
 * strings are visited) or are detected here. With `budget`, returns undefined as soon as more than
 * that many characters would have to be detected here.
 */
function scanContent<M extends JsonRpcMessage, T extends string>(
  message: M,
  options: ContentScanOptions<T>,
  scans: readonly StringScan<T>[] | undefined,
  budget: number,
): ContentScanResult<M, T> | undefined {
  const root = contentKeyOf(message);
  // Created at the first finding: most messages have none, and this runs for every message.
  let counts: Map<string, { path: string; type: T; count: number; encoding?: 'base64' }> | undefined;
  let foundInBase64 = false;
  if (root === undefined) return { message, changed: false, locations: [], foundInBase64 };
  const keyIsClean = (key: string): boolean => options.detect(key).length === 0;
  const record = (path: string, type: T, encoding: 'base64' | undefined): void => {
    counts ??= new Map();
    const key = `${encoding ?? ''}\u0000${type}\u0000${path}`;
    const entry = counts.get(key);
    if (entry !== undefined) entry.count++;
    else counts.set(key, encoding === undefined ? { path, type, count: 1 } : { path, type, count: 1, encoding });
  };
  let visited = 0;
  let remaining = budget;
  let result;
  try {
    result = rewriteMessageStrings(message, (text, path) => {
      let findings: TextFinding<T>[];
      let encoded: T[] | undefined;
      if (scans !== undefined) {
        ({ findings, encoded } = scans[visited++]!);
      } else {
        remaining -= text.length;
        if (remaining < 0) throw OVER_BUDGET;
        findings = options.detect(text);
        encoded = encodedTypes(text, findings, isBlob(path), options);
      }
      if (findings.length > 0 || encoded !== undefined) {
        const where = formatPath(root, path, keyIsClean);
        for (const finding of findings) record(where, finding.type, undefined);
        if (encoded !== undefined) {
          foundInBase64 = true;
          for (const type of encoded) record(where, type, 'base64');
        }
      }
      if (!options.redact || findings.length === 0) return undefined;
      return redactFindings(text, findings, options.placeholder);
    });
  } catch (err) {
    if (err === OVER_BUDGET) return undefined;
    throw err;
  }
  return { message: result.message, changed: result.changed, locations: counts ? [...counts.values()] : [], foundInBase64 };
}

/**
 * Runs a detector over every string of a message's content (request/notification params, response
 * result or error), optionally over decoded base64 too, and redacts plain-text findings on request.
 */
export function scanMessageContent<M extends JsonRpcMessage, T extends string>(message: M, options: ContentScanOptions<T>): ContentScanResult<M, T> {
  return scanContent(message, options, undefined, Infinity)!;
}

/**
 * The same scan as `scanMessageContent`, with the same result, for content too large to scan in one
 * piece: long strings are detected in slices and other work runs between slices and strings.
 */
export async function scanMessageContentCooperatively<M extends JsonRpcMessage, T extends string>(message: M, options: ContentScanOptions<T>): Promise<ContentScanResult<M, T>> {
  const texts: string[] = [];
  const blobs: boolean[] = [];
  rewriteMessageStrings(message, (text, path) => {
    texts.push(text);
    blobs.push(isBlob(path));
    return undefined;
  });
  const pause = new CooperativePause();
  const scans: StringScan<T>[] = [];
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i]!;
    const findings = await detectInSlices(text, options.detect, pause);
    scans.push({ findings, encoded: encodedTypes(text, findings, blobs[i]!, options) });
    const due = pause.due();
    if (due !== undefined) await due;
  }
  return scanContent(message, options, scans, Infinity)!;
}

/** Content up to this many characters is scanned in one piece; larger content cooperatively. */
export const COOPERATIVE_SCAN_THRESHOLD = 64 * 1024;

/** How a filter names itself in decisions. */
export interface FilterIdentity {
  /** Handler name, e.g. `basic_pii_filter`. */
  readonly handler: string;
  /** What it finds, capitalised for the start of a reason: `PII`, `Secret`. */
  readonly subject: string;
}

/** Most locations listed in a decision's metadata; the rest are counted. */
export const MAX_METADATA_LOCATIONS = 50;
const MAX_REASON_PATHS = 3;

function listTypes<T extends string>(locations: readonly FindingLocation<T>[], encoded: boolean | undefined): string {
  const types = new Set<string>();
  for (const l of locations) if (encoded === undefined || (l.encoding === 'base64') === encoded) types.add(l.type);
  return [...types].join(', ');
}

function listPaths<T extends string>(locations: readonly FindingLocation<T>[]): string {
  const paths = [...new Set(locations.map((l) => l.path))];
  const shown = paths.slice(0, MAX_REASON_PATHS).join(', ');
  return paths.length > MAX_REASON_PATHS ? `${shown} and ${paths.length - MAX_REASON_PATHS} more` : shown;
}

/**
 * The interceptor of a filter that scans requests, responses and notifications alike (PII, secrets):
 * each message is scanned and decided on; nothing happens while `active` is false (no type enabled).
 */
export function scanningFilter<T extends string>(filter: FilterIdentity, action: FilterAction, scan: ContentScanOptions<T>, active: boolean): InterceptorPlugin {
  const inspect = <M extends JsonRpcMessage>(message: M): PluginDecision<M> | undefined | Promise<PluginDecision<M> | undefined> => {
    if (!active) return undefined;
    // Most messages are small: scanned and decided at once. A large one is scanned in slices,
    // so one server's huge result does not stall every other server's traffic meanwhile.
    const result = scanContent(message, scan, undefined, COOPERATIVE_SCAN_THRESHOLD);
    if (result !== undefined) return decideOnScan(filter, action, result);
    return scanMessageContentCooperatively(message, scan).then((cooperative) => decideOnScan(filter, action, cooperative));
  };
  return { onRequest: inspect, onResponse: inspect, onNotification: inspect };
}

/**
 * Turns a scan into the filter's decision: `undefined` when nothing was found; otherwise block,
 * redact (forced to block when something was found inside base64) or audit as `action` says.
 */
export function decideOnScan<M extends JsonRpcMessage, T extends string>(
  filter: FilterIdentity,
  action: FilterAction,
  scan: ContentScanResult<M, T>,
): PluginDecision<M> | undefined {
  const { locations } = scan;
  if (locations.length === 0) return undefined;
  const forcedBlock = action === 'redact' && scan.foundInBase64;
  const effective: FilterAction = forcedBlock ? 'block' : action;
  const types = [...new Set(locations.map((l) => l.type))];
  const metadata: Record<string, unknown> = {
    plugin: filter.handler,
    detected: true,
    action: effective,
    types,
    locations: locations.slice(0, MAX_METADATA_LOCATIONS),
  };
  if (locations.length > MAX_METADATA_LOCATIONS) metadata['locations_truncated'] = locations.length - MAX_METADATA_LOCATIONS;
  if (scan.foundInBase64) metadata['found_in_base64'] = true;
  if (forcedBlock) metadata['base64_force_block'] = true;
  const where = listPaths(locations);
  if (effective === 'block') {
    const reason = forcedBlock
      ? `${filter.subject} detected in base64-encoded content (${listTypes(locations, true)}) in ${where}; blocked because encoded content cannot be redacted`
      : `${filter.subject} detected (${listTypes(locations, undefined)}) in ${where}`;
    return { allowed: false, reason, metadata };
  }
  if (effective === 'redact') {
    return { allowed: true, modified: scan.message, reason: `${filter.subject} redacted (${listTypes(locations, undefined)}) in ${where}`, metadata };
  }
  return { allowed: true, reason: `${filter.subject} detected (${listTypes(locations, undefined)}) in ${where} (audit only)`, metadata };
}
