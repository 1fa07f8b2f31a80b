// The injection detector's vocabulary: what a scan reports, the options it takes, and the one way
// every detector part reports a finding (`Emit`).
import type { SignalStrength } from '../unicode';
import type { InjectionModel } from './model';

export type { SignalStrength } from '../unicode';

/** Gatekit's sensitivity levels: which signal strengths are reported. */
export type Sensitivity = 'relaxed' | 'standard' | 'strict';

/**
 * The three detection methods of Gatekit plus two of ours: `tool_poisoning` (hidden directive
 * tags, concealment from the user, reading credential files) and `hidden_unicode`.
 */
export type InjectionCategory = 'delimiter_injection' | 'role_manipulation' | 'context_hijacking' | 'tool_poisoning' | 'hidden_unicode';

export const INJECTION_CATEGORIES: readonly InjectionCategory[] = [
  'delimiter_injection',
  'role_manipulation',
  'context_hijacking',
  'tool_poisoning',
  'hidden_unicode',
];

/** One place in a string that looks like an injection. Offsets are UTF-16 code units. */
export interface InjectionFinding {
  readonly category: InjectionCategory;
  /** Stable rule id, e.g. `context.ignore_prior_instructions`; never the matched text (log replay). */
  readonly rule: string;
  readonly strength: SignalStrength;
  readonly start: number;
  readonly end: number;
  /** `base64`: found inside an encoded run, which cannot be redacted in place (block instead). */
  readonly encoding: 'plain' | 'base64';
}

export interface InjectionDetectorOptions {
  readonly sensitivity: Sensitivity;
  /** Categories switched on; a missing key means on. */
  readonly categories?: Partial<Record<InjectionCategory, boolean>>;
  /** Decode base64 runs and scan what they hide (default true). */
  readonly scanBase64?: boolean;
  /** The statistical model (./model.ts, loaded by ./model-loader.ts): its hits are findings too. Off when absent. */
  readonly model?: InjectionModel;
}

export interface ScanOptions {
  /** The text belongs to a tool definition (description, schema), where some weak signals count more. */
  readonly toolDefinition?: boolean;
}

/** Ranks of the signal strengths, for comparing them with a sensitivity's minimum. */
export const STRENGTH_RANK: Readonly<Record<SignalStrength, number>> = { weak: 0, medium: 1, strong: 2 };
/** The weakest strength each sensitivity reports. */
export const WEAKEST_REPORTED: Readonly<Record<Sensitivity, SignalStrength>> = { relaxed: 'strong', standard: 'medium', strict: 'weak' };
/** The same as ranks. */
export const MIN_RANK: Readonly<Record<Sensitivity, number>> = {
  relaxed: STRENGTH_RANK[WEAKEST_REPORTED.relaxed],
  standard: STRENGTH_RANK[WEAKEST_REPORTED.standard],
  strict: STRENGTH_RANK[WEAKEST_REPORTED.strict],
};

/**
 * How a detector part reports one finding to the scan that called it. A part may be handed any
 * `Emit`, including one that starts another scan: no part keeps a regex's `lastIndex` or other
 * shared state live across a call to it (see ../regex.ts).
 */
export type Emit = (category: InjectionCategory, rule: string, strength: SignalStrength, start: number, end: number) => void;

/** The structural signals (signals.ts scores them; their phrases are the gateway chunk injection-vocabulary). */
export type Signal =
  | 'leak_verb' | 'leak_target' | 'drop_verb' | 'instructions' | 'persona' | 'unrestricted' | 'mode' | 'address_ai'
  | 'secrecy' | 'condition' | 'reply_only' | 'send_verb' | 'destination' | 'data' | 'tool_offer' | 'disable' | 'execute'
  | 'restricted_ask' | 'directive' | 'about' | 'setup' | 'origin' | 'address_lead' | 'ai_reader' | 'reading_this'
  | 'shadow' | 'reported' | 'person_frame' | 'credential' | 'gather';
