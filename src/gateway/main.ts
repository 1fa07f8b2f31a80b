// `gatekit-gateway`: the command-line entry of the gateway process (MCP on stdin/stdout, logs on stderr).
import { parseArgs } from 'node:util';
import { createWriteStream, type WriteStream } from 'node:fs';
import { Gateway } from './gateway';
import { settingsFromConfig, type GatewaySettings } from './settings';
import { gatekitVersion } from './version';
import { DEFAULT_MAX_LINE_BYTES, NdjsonMessageReader, NdjsonMessageWriter } from './transport/ndjson';
import { classifyMessage, ErrorCode, makeError, type JsonRpcErrorObject } from '../shared/jsonrpc';
import { couldNotStartMessage } from '../shared/messages';
import { loadConfigFile, type LoadedConfig } from '../config/loader';
import { ConfigError } from '../config/errors';
import { PluginLoadError } from '../plugins/pipeline';
import { openForAppendSync } from '../plugins/safe-file';
import { configuredLockfile, runPinsCommand } from './pins-cli';
import { runAuditCommand } from './audit-cli';
import { configFromEnvironment, startControlLink } from './control/environment';
import { extensionSignIn, type ExtensionSignIn } from './control/sign-in-link';
import { controlOnlyHandshake } from './control/control-only';
import { escapeLogLine } from './log-line';
import { httpOptionsFor, serveHttp } from './http-server/start';
import type { GatewayHttpServer } from './http-server/server';
import { configProblemsData, formatConfigReport } from './cli/config-report';
import { writeStarterConfig } from './cli/init';
import { checkRunTime } from './cli/validate-checks';
import { runSetupCommand, setupIo } from './setup/command';

const USAGE = `Usage: gatekit-gateway --config FILE [options]
       gatekit-gateway -c FILE | gatekit-gateway -- FILE | GATEKIT_CONFIG=FILE gatekit-gateway
       gatekit-gateway init [FILE]        (write a starter gatekit.yaml that works where it is)
       gatekit-gateway setup [--dry-run] [--yes] [--restore]   (put your MCP clients' servers behind Gatekit)
       gatekit-gateway pins list|approve|check [server[__tool]] --config FILE [--json] (pins --help)
       gatekit-gateway audit verify FILE   (check a chained JSONL audit log: 0 intact, 1 broken)

Gatekit: a security gateway for the Model Context Protocol. Speaks MCP on stdin/stdout to one
client and runs the upstream MCP servers of the config file as child processes. With
proxy.transport: http it serves Streamable HTTP at /mcp to several clients instead (bearer token;
see docs/http-server.md) until it gets SIGINT/SIGTERM.

Options:
  -c, --config FILE        Gatekit config (YAML or JSON); also $GATEKIT_CONFIG, or one FILE
                           after '--' (for clients whose own flags collide with --config)
      --validate-only      Check the config and exit (0 valid, 1 invalid); starts no server
      --server NAME        Serve only upstream NAME, under its own tool names (stdio; over HTTP
                           use the endpoint /servers/NAME/mcp)
      --max-message-mb N   Largest message accepted on any stdio line (default 32)
  -v, --verbose            More diagnostics on stderr
  -h, --help               Show this help
  -V, --version            Show the version`;

// Nothing but protocol messages may reach stdout: route stray console output to stderr.
console.log = console.info = console.debug = (...args: unknown[]) => console.error(...args);

/** Where diagnostics go: stderr until the config says otherwise (`logging.handlers`). */
const logSinks: { stderr: boolean; file?: WriteStream } = { stderr: true };

/** The one sink of diagnostics: every line is escaped here, so no call site can write a forged or disguised line. */
function log(text: string): void {
  const line = escapeLogLine(text);
  if (logSinks.stderr) process.stderr.write(`gatekit: ${line}\n`);
  logSinks.file?.write(`${new Date().toISOString()} gatekit: ${line}\n`);
}

/** Applies `logging.handlers`: stderr (VS Code shows it as the server's output) and/or a log file. */
function configureLogging(logging: LoadedConfig['config']['logging']): void {
  logSinks.stderr = logging.handlers.includes('stderr');
  if (logging.handlers.includes('file') && logging.file_path) {
    try {
      // Only a regular file of ours, never through a link: /dev/stdout is the protocol channel, a FIFO or device would corrupt or block.
      const file = createWriteStream('', { fd: openForAppendSync(logging.file_path) });
      file.on('error', (err) => {
        logSinks.file = undefined;
        process.stderr.write(`gatekit: log file ${logging.file_path} failed: ${err.message}\n`);
      });
      logSinks.file = file;
    } catch (err) {
      process.stderr.write(`gatekit: cannot open log file ${logging.file_path}: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'pins') return pins(argv.slice(1));
  if (argv[0] === 'audit') return runAuditCommand(argv.slice(1), { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) });
  if (argv[0] === 'init') return init(argv.slice(1));
  if (argv[0] === 'setup') return runSetupCommand(argv.slice(1), setupIo());
  let parsed;
  try {
    parsed = parseArgs({
      // A client may put '--' between its own flags and ours: what follows it is read like the rest.
      args: argv.filter((arg) => arg !== '--'),
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        'validate-only': { type: 'boolean' },
        'control-only': { type: 'boolean' },
        server: { type: 'string' },
        'max-message-mb': { type: 'string' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    });
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stderr.write(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    process.stderr.write(`gatekit-gateway ${gatekitVersion}\n`);
    return 0;
  }
  let maxLineBytes: number | undefined;
  if (values['max-message-mb'] !== undefined) {
    const mb = Number(values['max-message-mb']);
    if (!(mb > 0)) {
      process.stderr.write(`--max-message-mb must be a positive number, got '${values['max-message-mb']}'\n`);
      return 2;
    }
    maxLineBytes = Math.floor(mb * 1024 * 1024);
  }

  // One bare argument is the config file (`gatekit-gateway -- /abs/gatekit.yaml`), unless -c named one.
  if (positionals.length > 1 || (positionals.length === 1 && values.config !== undefined)) {
    process.stderr.write(`Unexpected argument '${positionals[values.config === undefined ? 1 : 0]}'\n\n${USAGE}\n`);
    return 2;
  }
  const configPath = values.config ?? positionals[0] ?? (process.env.GATEKIT_CONFIG || undefined);

  let embedded;
  if (!configPath) {
    try {
      embedded = configFromEnvironment();
    } catch (err) {
      const failure = startupFailure(err);
      log(`Configuration invalid: ${failure.message}`);
      return serveStartupError(failure);
    }
  }
  if (!configPath && !embedded) {
    const message = 'No configuration given: pass --config FILE (or -c FILE, or set GATEKIT_CONFIG)';
    // A person at a terminal gets the usage at once instead of a process silently waiting for MCP.
    if (values['validate-only'] || process.stdin.isTTY) {
      process.stderr.write(`${message}\n\n${USAGE}\n\nNo config yet? 'gatekit-gateway init' writes a starter gatekit.yaml; 'gatekit-gateway setup' builds one from your MCP clients.\n`);
      return values['validate-only'] ? 1 : 2;
    }
    log(message);
    return serveStartupError({ code: ErrorCode.ConfigInvalid, message, data: { fix_instructions: 'Start the gateway as: gatekit-gateway --config /absolute/path/to/gatekit.yaml' } });
  }

  let loaded;
  try {
    loaded = embedded ?? loadConfigFile(configPath!);
  } catch (err) {
    const failure = startupFailure(err);
    const report = err instanceof ConfigError ? formatConfigReport(err) : `Configuration invalid: ${failure.message}`;
    if (values['validate-only']) {
      process.stderr.write(`${report}\n`);
      return 1;
    }
    for (const line of report.split('\n')) log(line);
    return serveStartupError(failure);
  }
  if (values['validate-only']) return validateOnly(loaded, configPath ?? '(the configuration in the environment)');

  configureLogging(loaded.config.logging);
  let gateway: Gateway;
  // Under VS Code (it started us): OAuth tokens in its SecretStorage, sign-in pages opened by it.
  let extensionSignInServices: ExtensionSignIn | undefined;
  const controlOnly = values['control-only'] === true;
  // proxy.transport: http serves sessions over HTTP (control-only stays the views' stdio gateway).
  const overHttp = loaded.config.proxy.transport === 'http' && !controlOnly;
  const httpContext = { configDir: loaded.configDir, maxBodyBytes: maxLineBytes ?? DEFAULT_MAX_LINE_BYTES, version: gatekitVersion, log };
  let httpOptions;
  try {
    if (overHttp) httpOptions = httpOptionsFor(loaded.config.proxy.http, httpContext);
    let settings = settingsFromConfig(loaded, { log, ...(maxLineBytes ? { maxLineBytes } : {}) });
    const single = values.server;
    if (single !== undefined && !overHttp) settings = onlyServer(settings, single);
    extensionSignInServices = extensionSignIn();
    const signIn = extensionSignInServices ? { signIn: extensionSignInServices } : {};
    gateway = new Gateway(settings, overHttp ? { sessions: true, log, ...signIn } : { input: process.stdin, output: process.stdout, log, ...signIn, ...(single !== undefined ? { singleServer: single } : {}) });
  } catch (err) {
    if (overHttp) {
      log(`cannot serve HTTP: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    }
    const failure = startupFailure(err);
    log(failure.message);
    return serveStartupError(failure);
  }
  if (values.verbose) {
    gateway.onServerStatus((s) => log(`[${s.name}] ${s.state}${s.detail ? `: ${s.detail}` : ''}`));
  }
  const stop = (): void => void gateway.shutdown(0);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.once('SIGHUP', stop);
  // Control-only: no client on stdio; the gateway opens its upstreams itself and stops when stdin ends.
  let httpServer: GatewayHttpServer | undefined;
  if (controlOnly) gateway.startWithoutClient(controlOnlyHandshake(gatekitVersion));
  else if (httpOptions) {
    try {
      httpServer = await serveHttp(gateway, httpOptions, httpContext);
    } catch (err) {
      log(`cannot serve HTTP on ${httpOptions.host}:${httpOptions.port}: ${err instanceof Error ? err.message : String(err)}`);
      await gateway.shutdown(1);
      return 1;
    }
  } else gateway.start();
  const link = startControlLink(gateway, { mode: controlOnly ? 'control-only' : 'stdio', version: gatekitVersion, ...(loaded.configPath ? { configPath: loaded.configPath } : {}) }, log);
  if (link) gateway.askApprovalsThrough((question, signal) => link.askApproval(question, signal));
  if (link) extensionSignInServices?.attach(link);
  const code = await gateway.finished;
  await httpServer?.close();
  await link?.dispose();
  const file = logSinks.file;
  if (file) await new Promise<void>((resolve) => file.end(resolve));
  return code;
}

/** `--server NAME`: the settings with that upstream alone (its tools keep their own names). */
function onlyServer(settings: GatewaySettings, name: string): GatewaySettings {
  const upstreams = settings.upstreams.filter((u) => u.name === name);
  if (upstreams.length === 0) {
    const known = settings.upstreams.map((u) => `'${u.name}'`).join(', ') || 'none';
    throw new Error(`--server '${name.slice(0, 100)}' names no enabled upstream of the configuration (servers: ${known})`);
  }
  return { ...settings, upstreams };
}

/** The rest of `--validate-only` once the config parsed: what would fail at run time, and what was not checked. */
function validateOnly(loaded: LoadedConfig, configPath: string): number {
  for (const warning of loaded.warnings) process.stderr.write(`warning: ${warning}\n`);
  const { problems, notChecked } = checkRunTime(loaded);
  const shownPath = loaded.configPath ?? configPath;
  if (problems.length > 0) {
    const lines = [`Configuration invalid: ${problems.length} problem${problems.length === 1 ? '' : 's'} at run time in ${shownPath}`];
    problems.forEach((problem, index) => lines.push(`  ${index + 1}. ${problem.where}: ${problem.message}`, `     fix: ${problem.fix}`));
    process.stderr.write(`${lines.join('\n')}\n`);
    return 1;
  }
  process.stdout.write(`Configuration valid: ${shownPath}\n`);
  process.stderr.write(`Not checked (needs the servers running):\n${notChecked.map((item) => `  - ${item}`).join('\n')}\n`);
  return 0;
}

/** `gatekit-gateway init [FILE]`. */
function init(argv: string[]): number {
  const files = argv.filter((arg) => arg !== '--');
  if (files.length > 1 || files.some((arg) => arg.startsWith('-'))) {
    process.stderr.write(`Usage: gatekit-gateway init [FILE]   (default: ./gatekit.yaml)\n`);
    return 2;
  }
  const result = writeStarterConfig(files[0], process.cwd());
  (result.code === 0 ? process.stdout : process.stderr).write(result.message);
  return result.code;
}

/** `gatekit-gateway pins list|approve|check …`: review, approve and check (CI) tool definitions pinned in the lockfile. */
async function pins(argv: string[]): Promise<number> {
  const rest: string[] = [];
  let configPath = process.env.GATEKIT_CONFIG;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--config' || arg === '-c') configPath = argv[++i];
    else if (arg.startsWith('--config=')) configPath = arg.slice('--config='.length);
    else rest.push(arg);
  }
  if (!configPath) {
    process.stderr.write('pins needs --config FILE\n');
    return 2;
  }
  let loaded;
  try {
    loaded = loadConfigFile(configPath);
  } catch (err) {
    process.stderr.write(`Configuration invalid: ${err instanceof Error ? err.message : String(err)}\n`);
    // `check` keeps 1 for a mismatch: a config it cannot use is a usage error there.
    return rest.includes('check') ? 2 : 1;
  }
  const lockfile = configuredLockfile(loaded);
  return runPinsCommand(rest, {
    configPath: loaded.configPath ?? configPath,
    configDir: loaded.configDir,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    ...(lockfile ? { lockfile } : {}),
    loaded,
    log,
  });
}

/** Maps a start-up exception to the error the first client request is answered with. */
function startupFailure(err: unknown): JsonRpcErrorObject {
  if (err instanceof ConfigError) {
    return { code: err.code, message: err.message, data: { fix_instructions: err.fixInstructions, path: err.path, ...(err.line ? { line: err.line } : {}), problems: configProblemsData(err) } };
  }
  if (err instanceof PluginLoadError) {
    return { code: ErrorCode.InternalError, message: err.message, data: { fix_instructions: `Check the configuration of plugin '${err.handler}'.` } };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: ErrorCode.InternalError, message: couldNotStartMessage(message), data: { fix_instructions: 'See the gateway log on stderr for details.' } };
}

/**
 * The config cannot be used: answer the client's first request with the error (so the user sees
 * why in their MCP client), then exit 1. Notifications are ignored while waiting.
 */
function serveStartupError(error: JsonRpcErrorObject): Promise<number> {
  return new Promise((resolve) => {
    const reader = new NdjsonMessageReader(process.stdin);
    const writer = new NdjsonMessageWriter(process.stdout);
    let answered = false;
    reader.onClose(() => resolve(1));
    reader.onInvalidLine(() => undefined);
    reader.listen((value) => {
      const classified = classifyMessage(value);
      if (answered || classified.kind !== 'request') return;
      answered = true;
      writer.write(makeError(classified.message.id, error.code, error.message, error.data)).then(
        () => resolve(1),
        () => resolve(1),
      );
    });
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    // With stderr off (`logging.handlers: [file]`), a failed exit still says so where a client shows it.
    if (code !== 0 && !logSinks.stderr) process.stderr.write(`gatekit: exiting with code ${code}; the reason is in the log file\n`);
    // Exit once everything written to stdout has been flushed (pipes are asynchronous on POSIX).
    process.exitCode = code;
    process.stdout.write('', () => process.exit(code));
    // A client that stopped reading would keep that flush (and us) waiting forever.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (err: unknown) => {
    logSinks.stderr = true;
    log(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
