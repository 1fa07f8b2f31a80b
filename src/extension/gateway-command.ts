// The Node arguments that start the gateway: the flags dist/gateway.js declares in its shebang (one
// place says how Node must run it), then the script itself.
import { readFileSync } from 'node:fs';

const SHEBANG = /^#!\/usr\/bin\/env -S node((?: --?[\w-]+(?:=\S+)?)*)\s*$/;
const cache = new Map<string, readonly string[]>();

/** `[...flags, gatewayScript]`; just the script when its first line declares no flags (or cannot be read). */
export function gatewayNodeArgs(gatewayScript: string): string[] {
  let flags = cache.get(gatewayScript);
  if (flags === undefined) {
    flags = shebangFlags(gatewayScript);
    cache.set(gatewayScript, flags);
  }
  return [...flags, gatewayScript];
}

function shebangFlags(gatewayScript: string): string[] {
  try {
    const firstLine = readFileSync(gatewayScript, 'utf8').slice(0, 300).split('\n')[0] ?? '';
    const match = SHEBANG.exec(firstLine);
    return match ? match[1]!.split(' ').filter(Boolean) : [];
  } catch {
    return [];
  }
}
