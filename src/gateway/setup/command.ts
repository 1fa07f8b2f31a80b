// `gatekit-gateway setup`: finds MCP clients' config files, writes a gatekit.yaml with their servers
// and, with consent, points each client at the gateway instead (backups kept; `--restore` undoes it).
import { constants, copyFileSync, existsSync, lstatSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { clientLocations, scanClient, type ClientScan } from './clients';
import { defaultConfigFile, planSetup, type SetupPlan } from './plan';

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
    ask: (question) =>
      new Promise((resolve) => {
        const prompt = createInterface({ input: process.stdin, output: process.stderr });
        prompt.question(question, (answer) => {
          prompt.close();
          resolve(answer);
        });
      }),
  };
}

const USAGE = `Usage: gatekit-gateway setup [--dry-run] [--yes] [--config FILE]
       gatekit-gateway setup --restore

Finds the MCP servers of Claude Desktop, Claude Code, Cursor, Windsurf and Codex, writes a
gatekit.yaml with them (default ~/.gatekit/gatekit.yaml) and, once you agree, makes each client
start 'npx -y gatekit-gateway --config <that file>' instead. Each client file is backed up beside
itself as <file>.gatekit-backup; --restore puts the backups back.

  --dry-run       Show what would be written; change nothing
  -y, --yes       Apply without asking (for scripts)
  -c, --config    Where to write the Gatekit config
  --restore       Undo: put every client's backup back`;

/** The backup of a client file, kept until --restore: the file as it was before setup first touched it. */
export function backupOf(file: string): string {
  return `${file}.gatekit-backup`;
}

export async function runSetupCommand(argv: string[], io: SetupIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { 'dry-run': { type: 'boolean' }, yes: { type: 'boolean', short: 'y' }, restore: { type: 'boolean' }, config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    io.stderr(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.stderr(`${USAGE}\n`);
    return 0;
  }
  let locations;
  try {
    locations = clientLocations(io.env, io.platform);
  } catch (err) {
    io.stderr(`${(err as Error).message}\n`);
    return 2;
  }
  if (values.restore) return restore(locations.map((location) => location.file), io, values['dry-run'] === true);

  const scans = locations.map(scanClient).filter((scan): scan is ClientScan => scan !== undefined);
  const home = io.platform === 'win32' ? (io.env['USERPROFILE'] ?? io.env['HOME'])! : (io.env['HOME'] ?? io.env['USERPROFILE'])!;
  const configFile = values.config === undefined ? defaultConfigFile(home, io.platform) : path.resolve(io.cwd, values.config);
  report(scans, io);
  const plan = planSetup(scans, configFile);
  if (plan.upstreams.length === 0) {
    io.stderr(`\nNo MCP servers to put behind Gatekit. 'gatekit-gateway init' writes a starter config to edit instead.\n`);
    return 1;
  }
  io.stdout(`\nPlan:\n  write ${configFile} with ${plan.upstreams.length} server(s) and default protections (secrets, PII, prompt injection redacted; tool pinning; JSONL audit)\n`);
  for (const change of plan.changes) io.stdout(`  ${change.scan.location.label}: replace ${change.moved.map((name) => JSON.stringify(name)).join(', ')} with one 'gatekit' entry in ${change.scan.location.file} (backup: ${backupOf(change.scan.location.file)})\n`);
  if (values['dry-run']) {
    io.stdout(`\n--- ${configFile} (not written: --dry-run)\n${plan.configText}`);
    return 0;
  }
  if (!values.yes) {
    if (!io.interactive) {
      io.stderr('\nNothing changed: pass --yes to apply this plan, or --dry-run to see the config it would write.\n');
      return 2;
    }
    const answer = (await io.ask('\nApply this plan? [y/N] ')).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') {
      io.stderr('Nothing changed.\n');
      return 1;
    }
  }
  return apply(plan, io);
}

function report(scans: readonly ClientScan[], io: SetupIo): void {
  if (scans.length === 0) io.stdout('No MCP client configuration found (looked for Claude Desktop, Claude Code, Cursor, Windsurf, Codex).\n');
  for (const scan of scans) {
    io.stdout(`${scan.location.label} (${scan.location.file}):\n`);
    if (scan.unusable !== undefined) io.stdout(`  not used: ${scan.unusable}\n`);
    for (const server of scan.servers) io.stdout(`  ${JSON.stringify(server.name)}: ${[server.command, ...server.args].map((part) => JSON.stringify(part)).join(' ').slice(0, 200)}\n`);
    for (const skipped of scan.skipped) io.stdout(`  skipped ${skipped}\n`);
    if (scan.unusable === undefined && scan.servers.length === 0 && scan.skipped.length === 0) io.stdout('  no MCP servers\n');
  }
}

/** Writes `text` to `file` through a new file renamed over it: never through a link, never half-written. */
function replaceFile(file: string, text: string, mode: number): void {
  const temporary = `${file}.gatekit-${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode, flag: 'wx' });
  renameSync(temporary, file);
}

function apply(plan: SetupPlan, io: SetupIo): number {
  try {
    mkdirSync(path.dirname(plan.configFile), { recursive: true, mode: 0o700 });
    if (existsSync(plan.configFile)) copyFileSync(plan.configFile, backupOf(plan.configFile));
    replaceFile(plan.configFile, plan.configText, 0o600);
    io.stdout(`Wrote ${plan.configFile}\n`);
  } catch (err) {
    io.stderr(`Cannot write ${plan.configFile}: ${(err as Error).message}\nNo client was changed.\n`);
    return 1;
  }
  let failed = 0;
  for (const change of plan.changes) {
    const file = change.scan.location.file;
    try {
      // Only a plain file that is still one (not replaced by a link since it was read).
      if (lstatSync(file).isSymbolicLink()) throw new Error('it became a symbolic link');
      try {
        // An older backup holds the file from before Gatekit: keep that one.
        copyFileSync(file, backupOf(file), constants.COPYFILE_EXCL);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      replaceFile(file, change.newText, statSync(file).mode & 0o777);
      io.stdout(`${change.scan.location.label}: now starts Gatekit (restart the client to pick it up)\n`);
    } catch (err) {
      failed++;
      io.stderr(`${change.scan.location.label}: not changed: ${(err as Error).message}\n`);
    }
  }
  io.stdout(`\nCheck it: npx -y gatekit-gateway --validate-only --config ${JSON.stringify(plan.configFile)}\nUndo: npx -y gatekit-gateway setup --restore\n`);
  return failed === 0 ? 0 : 1;
}

function restore(files: readonly string[], io: SetupIo, dryRun: boolean): number {
  let restored = 0;
  let failed = 0;
  for (const file of files) {
    const backup = backupOf(file);
    if (!existsSync(backup)) continue;
    if (dryRun) {
      io.stdout(`would restore ${file} from ${backup}\n`);
      continue;
    }
    try {
      renameSync(backup, file);
      restored++;
      io.stdout(`restored ${file}\n`);
    } catch (err) {
      failed++;
      io.stderr(`cannot restore ${file}: ${(err as Error).message}\n`);
    }
  }
  if (restored === 0 && failed === 0 && !dryRun) io.stdout('Nothing to restore: no client file has a Gatekit backup.\n');
  return failed === 0 ? 0 : 1;
}
