// VS Code mcp.json's per-server sandbox (`sandboxEnabled`, `sandbox.filesystem`/`sandbox.network`)
// in Gatekit's terms (`sandbox: {enabled, paths, network}`), for "Import Servers from mcp.json".
// The two models differ: what does not carry over exactly is said in a warning. Plain Node.
import { isRecord } from '../shared/jsonrpc';

export interface ImportedSandbox {
  readonly sandbox?: { enabled: boolean; paths: string[]; network: boolean };
  readonly warnings: string[];
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item !== '' && !item.includes('\0')) : [];
}

/**
 * Gatekit's sandbox for one mcp.json server entry (undefined when the entry asks for none).
 * `allowWrite` becomes `paths`; the network stays off unless domains are allowed (Gatekit cannot
 * filter by domain, so allowing any turns the whole network on, and the warning says so); deny
 * lists need no counterpart outside the listed paths (the home folder is hidden, credential folders
 * always) and cannot be expressed inside them.
 */
export function sandboxFromMcpJson(entry: Readonly<Record<string, unknown>>): ImportedSandbox {
  const warnings: string[] = [];
  if (entry.sandboxEnabled !== true) {
    if (isRecord(entry.sandbox)) warnings.push('sandbox settings left out: sandboxEnabled is not true');
    return { warnings };
  }
  const config = isRecord(entry.sandbox) ? entry.sandbox : {};
  const filesystem = isRecord(config.filesystem) ? config.filesystem : {};
  const network = isRecord(config.network) ? config.network : {};
  const paths = strings(filesystem.allowWrite);
  const allowedDomains = strings(network.allowedDomains);
  for (const list of ['denyRead', 'denyWrite'] as const) {
    const denied = strings(filesystem[list]);
    if (denied.length > 0) warnings.push(`sandbox.filesystem.${list} (${denied.join(', ')}) is not carried over: Gatekit hides the home folder except the listed paths, and credential folders always`);
  }
  if (allowedDomains.length > 0) warnings.push(`sandbox.network.allowedDomains (${allowedDomains.join(', ')}): Gatekit cannot limit a server to domains, so its network is on`);
  if (strings(network.deniedDomains).length > 0) warnings.push('sandbox.network.deniedDomains is not carried over: Gatekit cannot filter by domain');
  return { sandbox: { enabled: true, paths, network: allowedDomains.length > 0 }, warnings };
}
