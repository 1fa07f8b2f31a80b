// `gatekit-gateway setup`: finds MCP clients' config files, writes a gatekit.yaml with their servers
// and, with consent, points each client at the gateway instead (backups kept; `--restore` undoes it).

/** Where setup reads answers and writes its report (injected by tests). */
export interface SetupIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: NodeJS.Platform;
  readonly cwd: string;
  readonly interactive: boolean;
  stdout(text: string): void;
  stderr(text: string): void;
  ask(question: string): Promise<string>;
}

export function setupIo(): SetupIo {
  return {
    env: process.env,
    platform: process.platform,
    cwd: process.cwd(),
    interactive: process.stdin.isTTY === true,
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    ask: () => Promise.resolve(''),
  };
}

export function runSetupCommand(_argv: string[], io: SetupIo): Promise<number> {
  io.stderr('setup: not available yet\n');
  return Promise.resolve(2);
}
