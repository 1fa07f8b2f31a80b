// URI templates and the resource index: matching agrees with a reference matcher, takes linear time
// on inputs built to make a backtracking matcher explode, and no server takes another's URIs
// (issue #11, items 6 and 7).
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import {
  matchesUriTemplate,
  MAX_TEMPLATE_EXPRESSIONS,
  MAX_TEMPLATES_PER_SERVER,
  parseUriTemplate,
  ResourceIndex,
  type UriTemplate,
} from '../../src/gateway/namespacing';

function parsed(template: string): UriTemplate {
  const result = parseUriTemplate(template);
  if ('error' in result) throw new Error(`${template}: ${result.error}`);
  return result;
}

/**
 * The reference: each `{…}` (no braces inside) becomes `(.*?)` in an anchored regular expression,
 * as the gateway once matched. Exponential on hostile input, so only ever given small ones.
 */
function referenceMatch(template: string, uri: string): boolean {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let pattern = '^';
  let last = 0;
  for (const m of template.matchAll(/\{[^{}]*\}/g)) {
    pattern += escape(template.slice(last, m.index)) + '(.*?)';
    last = m.index + m[0].length;
  }
  return new RegExp(pattern + escape(template.slice(last)) + '$', 's').test(uri);
}

/** Waits for the index's batched ambiguity report. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('URI templates', () => {
  it('match exactly what the reference matcher matches (small inputs, braces and all)', () => {
    const text = (max: number) => fc.string({ unit: fc.constantFrom('a', 'b', '/', '{', '}', 'x', '.'), maxLength: max });
    fc.assert(
      fc.property(text(14), text(14), (template, uri) => matchesUriTemplate(parsed(template), uri) === referenceMatch(template, uri)),
      { numRuns: 20000 },
    );
  });

  it('match URIs built from the template itself (positive cases the random ones rarely hit)', () => {
    const literal = fc.string({ unit: fc.constantFrom('a', 'b', '-'), maxLength: 4 });
    fc.assert(
      fc.property(fc.array(literal, { minLength: 1, maxLength: 6 }), fc.array(literal, { minLength: 6, maxLength: 6 }), (literals, fillers) => {
        const template = literals.join('{v}');
        const uri = literals.map((l, i) => (i === 0 ? l : fillers[i]! + l)).join('');
        return matchesUriTemplate(parsed(template), uri) && referenceMatch(template, uri);
      }),
      { numRuns: 5000 },
    );
  });

  it('give two templates that differ only in expression names (or adjacent expressions) one key', () => {
    assert.equal(parsed('tpl://{id}/x').key, parsed('tpl://{other}/x').key);
    assert.equal(parsed('a{x}{y}b').key, parsed('a{z}b').key);
    assert.notEqual(parsed('a{x}b').key, parsed('a{x}c').key);
    assert.deepEqual(parsed('{a{b}').literals, ['{a', '']);
    assert.deepEqual(parsed('no expression').literals, ['no expression']);
  });

  it('refuse templates over the caps', () => {
    assert.match(String((parseUriTemplate('{a}'.repeat(MAX_TEMPLATE_EXPRESSIONS + 1)) as { error: string }).error), /more than 32 expressions/);
    assert.ok(!('error' in parseUriTemplate('-{a}'.repeat(MAX_TEMPLATE_EXPRESSIONS))));
    assert.match(String((parseUriTemplate('x'.repeat(2049)) as { error: string }).error), /longer than 2048/);
  });

  it('take linear time on templates and URIs built to make a backtracking matcher explode', () => {
    // Up to 32 expressions separated by short literals, against long URIs made of those literals
    // that miss the final one: a `(.*?)` regex tries every way to split such a URI (days); a
    // linear matcher scans it once. The deadline is far above the linear cost (milliseconds) and
    // far below the exponential one.
    const adversarial = fc.record({
      separator: fc.constantFrom('-', 'a', 'ab', '--', 'aaaaaaaaab'),
      expressions: fc.integer({ min: 2, max: MAX_TEMPLATE_EXPRESSIONS }),
      length: fc.integer({ min: 1000, max: 200_000 }),
      ending: fc.constantFrom('!', '', 'b'),
    });
    const started = performance.now();
    let cases = 0;
    fc.assert(
      fc.property(adversarial, ({ separator, expressions, length, ending }) => {
        const template = parsed(Array.from({ length: expressions }, () => '{a}').join(separator) + '!');
        const uri = separator.repeat(Math.ceil(length / separator.length)) + ending;
        cases++;
        return matchesUriTemplate(template, uri) === (ending === '!');
      }),
      { numRuns: 300 },
    );
    // One long literal that almost matches everywhere (the worst case of a naive substring search).
    const nearMiss = parsed(`x{a}${'a'.repeat(2000)}b{a}y`);
    assert.equal(matchesUriTemplate(nearMiss, `x${'a'.repeat(1_000_000)}y`), false);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 10_000, `${cases} adversarial matches took ${Math.round(elapsed)} ms`);
  });
});

describe('resource index', () => {
  it('an exact URI listed by one server wins over any template of another', () => {
    const index = new ResourceIndex();
    index.addTemplate('{+anything}', 'thief');
    index.addResource('file:///home/notes.txt', 'owner');
    assert.deepEqual(index.lookup('file:///home/notes.txt'), { server: 'owner' });
    assert.deepEqual(index.lookup('file:///elsewhere'), { server: 'thief' });
  });

  it('a URI or template two servers claim is ambiguous in any order, and settles when one leaves', async () => {
    for (const [first, second] of [['a', 'b'], ['b', 'a']] as const) {
      const reported: string[][] = [];
      const index = new ResourceIndex(undefined, (servers) => reported.push([...servers].sort()));
      index.addResource('shared://doc', first);
      index.addResource('shared://doc', second);
      index.addTemplate('tpl://{id}', first);
      index.addTemplate('tpl://{renamed}', second);
      assert.deepEqual(index.lookup('shared://doc'), { ambiguous: [first, second] });
      assert.deepEqual(index.lookup('tpl://1'), { ambiguous: [first, second] });
      await nextTurn();
      assert.deepEqual(reported, [['a', 'b']], 'one report for the burst');
      // A template is shown as its first claimant wrote it.
      assert.deepEqual(index.ambiguousClaims('a'), ['shared://doc (also b)', 'tpl://{id} (also b)']);
      index.forgetServer(second);
      assert.deepEqual(index.lookup('shared://doc'), { server: first });
      assert.deepEqual(index.lookup('tpl://1'), { server: first });
      assert.deepEqual(index.ambiguousClaims(first), []);
      await nextTurn();
      assert.deepEqual(reported[1], ['a', 'b']);
    }
  });

  it('a read that two servers\' different templates match is ambiguous and reported for both', async () => {
    const reported: string[] = [];
    const index = new ResourceIndex(undefined, (servers) => reported.push(...servers));
    index.addTemplate('{+anything}', 'thief');
    index.addTemplate('repo://{owner}/{name}', 'github');
    assert.deepEqual(index.ambiguousClaims('github'), [], 'overlapping templates are not known to clash until a URI matches both');
    assert.deepEqual(index.lookup('repo://a/b'), { ambiguous: ['thief', 'github'] });
    await nextTurn();
    assert.deepEqual(reported.sort(), ['github', 'thief']);
    assert.deepEqual(index.ambiguousClaims('github'), ['repo://a/b (also thief)']);
    index.addResource('repo://a/b', 'github');
    assert.deepEqual(index.lookup('repo://a/b'), { server: 'github' });
    assert.deepEqual(index.ambiguousClaims('github'), [], 'an exact listing settled it');
  });

  it('keys from outside are plain data (no prototype lookups)', () => {
    const index = new ResourceIndex();
    assert.equal(index.lookup('__proto__'), undefined);
    assert.equal(index.lookup('constructor'), undefined);
    index.addResource('__proto__', 'constructor');
    assert.deepEqual(index.lookup('__proto__'), { server: 'constructor' });
    index.forgetServer('constructor');
    assert.equal(index.lookup('__proto__'), undefined);
  });

  it('caps templates per server with one log line, and indexes and forgets thousands in linear time', () => {
    const log: string[] = [];
    const index = new ResourceIndex((line) => log.push(line));
    const started = performance.now();
    for (let i = 0; i < 8000; i++) index.addTemplate(`tpl${i}://{id}/x`, 'many');
    for (let s = 0; s < 8; s++) for (let i = 0; i < MAX_TEMPLATES_PER_SERVER; i++) index.addTemplate(`s${s}t${i}://{id}`, `server${s}`);
    for (let i = 0; i < 100_000; i++) index.addResource(`file:///f${i}`, 'files');
    assert.deepEqual(index.lookup('tpl5://1/x'), { server: 'many' });
    assert.equal(index.lookup(`tpl${MAX_TEMPLATES_PER_SERVER}://1/x`), undefined, 'past the cap');
    assert.deepEqual(index.lookup('file:///f99999'), { server: 'files' });
    for (const server of index.servers()) index.forgetServer(server);
    const elapsed = performance.now() - started;
    assert.equal(index.lookup('tpl5://1/x'), undefined);
    assert.deepEqual(log, ['[many] offers more than 1000 resource templates: the rest are left out']);
    // Recompiling every earlier template per addition (the old index) took 100 s for 8,000.
    assert.ok(elapsed < 10_000, `indexing took ${Math.round(elapsed)} ms`);
  });

  it('leaves out a template over the caps with a log line naming the server', () => {
    const log: string[] = [];
    const index = new ResourceIndex((line) => log.push(line));
    index.addTemplate('x{a}'.repeat(40), 'greedy');
    assert.equal(index.lookup('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'), undefined);
    assert.match(log[0]!, /^\[greedy\] resource template left out: it has more than 32 expressions/);
  });
});
