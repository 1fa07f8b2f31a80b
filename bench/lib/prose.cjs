// Clean English prose for the benchmarks: words, punctuation and figures, free of anything the
// filters look for, so a filtering gateway scans it fully and passes it unchanged.
// (CommonJS so both the plain-Node bench server and the TypeScript micro-benchmark can import it.)
'use strict';

const PARAGRAPH =
  'The river runs quietly past the old mill, where the workers once ground wheat and barley for the ' +
  'villages along the valley. Today the building holds a small museum: visitors can see the wooden ' +
  'gears, the millstones and a model of the water wheel, which turned about 12 times a minute in a ' +
  'good season. In spring the meadows turn green again, the swallows return from the south, and the ' +
  'path along the bank is busy with walkers, cyclists and families who stop for a picnic under the ' +
  'willows before heading back to town for the evening market.\n';

/** `bytes` characters (ASCII, so also bytes) of repeated prose. */
function proseOfLength(bytes) {
  return PARAGRAPH.repeat(Math.ceil(bytes / PARAGRAPH.length) + 1).slice(0, bytes);
}

exports.PARAGRAPH = PARAGRAPH;
exports.proseOfLength = proseOfLength;
