// `gatekit-gateway audit verify FILE`: checks the hash chain of a JSONL audit log (`chain: true`)
// across its rotated predecessors, oldest to newest.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { chainFiles, verifyChainFiles } from '../plugins/auditing/audit-chain';
import { openForReading } from '../plugins/safe-file';

export const AUDIT_USAGE = 'Usage: gatekit-gateway audit verify FILE';

export interface AuditCliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Runs `audit …`; returns the exit code: 0 chain intact, 1 broken (or unreadable), 2 usage error. */
export async function runAuditCommand(argv: readonly string[], io: AuditCliIo): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    io.stdout(`${AUDIT_USAGE}\n`);
    return 0;
  }
  if (argv[0] !== 'verify' || argv.length !== 2 || argv[1]!.startsWith('-')) {
    io.stderr(`${AUDIT_USAGE}\n`);
    return 2;
  }
  const file = path.resolve(argv[1]!);
  // The newest file may be missing right after a rotation; its predecessors still count.
  const exists = (p: string): Promise<boolean> => fsp.lstat(p).then(
    () => true,
    () => false,
  );
  const files = (await exists(file)) ? await chainFiles(file, exists) : (await chainFiles(file, exists)).slice(0, -1);
  if (files.length === 0) {
    io.stderr(`${file}: no such file\n`);
    return 2;
  }
  const verdict = await verifyChainFiles(files, openForReading);
  if (verdict.intact) {
    const start = verdict.startsAtGenesis ? 'from genesis' : 'from a record in a file rotated away';
    io.stdout(`${verdict.records} records in ${files.length} file${files.length === 1 ? '' : 's'}, chain intact (${start})\n`);
    return 0;
  }
  io.stdout(`${verdict.file}:${verdict.line}: ${verdict.message} (${verdict.problem}; ${verdict.records} records intact before it)\n`);
  return 1;
}
