#!/usr/bin/env node
// Reference point (dev only): the cheapest stdio proxy that still holds each message whole before
// passing it on, as any gateway that inspects messages must. It parses nothing and rewrites nothing.
//
//   node bench/line-relay.mjs <upstream command> [args...]
//
// Each chunk read is passed on up to its last newline in one write; a partial line waits for the
// rest. Whatever a real gateway costs beyond this relay is its own work; what the relay costs
// against a direct connection is the price of a process in the middle on this machine (a second
// pipe, a second wake-up per burst, a whole-message buffer).
import { spawn } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: line-relay.mjs <upstream command> [args...]\n');
  process.exit(2);
}

const upstream = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });

/** Forwards whole lines from `from` to `to`, holding back a trailing partial line. */
function relayLines(from, to) {
  let pending = [];
  from.on('data', (chunk) => {
    const end = chunk.lastIndexOf(10);
    if (end < 0) {
      pending.push(chunk);
      return;
    }
    const whole = end === chunk.length - 1 ? chunk : chunk.subarray(0, end + 1);
    if (pending.length === 0) to.write(whole);
    else {
      pending.push(whole);
      to.write(Buffer.concat(pending));
      pending = [];
    }
    if (end < chunk.length - 1) pending.push(chunk.subarray(end + 1));
  });
}

relayLines(process.stdin, upstream.stdin);
relayLines(upstream.stdout, process.stdout);
process.stdin.on('end', () => upstream.stdin.end());
upstream.on('exit', (code) => process.exit(code ?? 1));
