// What every detector returns, apart from the code that reads it (findings.ts redacts and
// reports, slices.ts scans large texts in parts): both name it without importing each other.

/** One match in a string: its type and the half-open range [start, end). */
export interface TextFinding<T extends string = string> {
  readonly type: T;
  readonly start: number;
  readonly end: number;
}
