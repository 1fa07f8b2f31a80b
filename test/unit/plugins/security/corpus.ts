// Reads the labelled detection corpora under test/fixtures/corpus (one JSON object per line).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const CORPUS = join(__dirname, '../../../fixtures/corpus');

/** A sample that holds one thing a detector must find (`value`, of `type`) inside `text`. */
export interface Labelled {
  id: string;
  type: string;
  text: string;
  value: string;
}

/** A look-alike no detector should flag. */
export interface Benign {
  id: string;
  category: string;
  text: string;
}

/** Reads a JSONL corpus file; U+2063 marks split secrets so repository scanners skip them. */
export function loadCorpus<T>(file: string): T[] {
  return readFileSync(join(CORPUS, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line.replace(/\\u2063/g, '')) as T);
}
