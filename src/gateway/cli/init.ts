// `gatekit-gateway init [FILE]`: writes a starter config that works wherever it is written: every
// file it makes Gatekit write (audit log, pin lockfile) is relative, so it lands beside the config.
import { closeSync, openSync, writeSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The starter configuration. One real server from npm (needs network on first use through npx),
 * the three content filters, tool pinning and a JSONL audit log, all beside this file.
 */
export const STARTER_CONFIG = `# Gatekit starter configuration (written by 'gatekit-gateway init').
# Relative paths below resolve against this file's folder, so it works wherever it lives.
# Start it from an MCP client as:  npx -y gatekit-gateway --config /absolute/path/to/this/file.yaml
proxy:
  transport: stdio
  upstreams:
    # Each server behind Gatekit; its tools appear to the client as <name>__<tool>.
    - name: everything
      command: ["npx", "-y", "@modelcontextprotocol/server-everything"]
    # - name: filesystem
    #   command: ["npx", "-y", "@modelcontextprotocol/server-filesystem", "\${HOME}/projects"]

plugins:
  security:
    _global:
      - handler: basic_secrets_filter       # API keys, tokens, private keys
        config: {action: redact}
      - handler: basic_pii_filter           # e-mail, phone, card and ID numbers
        config: {action: redact}
      - handler: basic_prompt_injection_defense
        config: {action: redact, sensitivity: standard}
      - handler: tool_pinning               # a tool whose definition changes is withheld
        config: {lockfile: gatekit.lock.json}
  auditing:
    _global:
      - handler: audit_jsonl                # one JSON line per message, beside this file
        config: {output_file: gatekit-audit.jsonl}
`;

export interface InitResult {
  readonly code: number;
  readonly message: string;
}

/**
 * Writes the starter config to `target` (default `gatekit.yaml` in `cwd`). Never replaces an
 * existing file or follows a link placed where the file goes (`wx`: create exclusively).
 */
export function writeStarterConfig(target: string | undefined, cwd: string): InitResult {
  const file = path.resolve(cwd, target ?? 'gatekit.yaml');
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'EEXIST' ? 'it already exists (remove it or choose another name)' : (err as Error).message;
    return { code: 1, message: `Cannot write ${file}: ${reason}\n` };
  }
  try {
    writeSync(fd, STARTER_CONFIG);
  } finally {
    closeSync(fd);
  }
  return {
    code: 0,
    message: `Wrote ${file}\nCheck it with:  gatekit-gateway --validate-only --config ${JSON.stringify(file)}\nThen point your MCP client at:  npx -y gatekit-gateway --config ${JSON.stringify(file)}\n`,
  };
}
