// The option keys every audit format shares (Gatekit's file keys), for the audit descriptors: schema
// only, no file code, so validating a config loads no writer.
import * as z from 'zod';
import type { PluginOffers } from '../types';

/** The option of every audit format that names the file it writes (checked by config validation). */
export const AUDIT_FILE_OPTIONS = ['output_file'] as const;

/** What every audit format offers: a log the user may open, named by `output_file`. */
export const AUDIT_LOG_OFFERS: PluginOffers = { auditLog: { fileOption: AUDIT_FILE_OPTIONS[0] } };

/** Gatekit's file keys, shared by every audit format (defaults as its Python handler had them). */
export function fileOptionsShape(defaultOutputFile: string) {
  return {
    output_file: z.string().min(1).default(defaultOutputFile).describe('The log file (`~`, `${VAR}`, relative to the config folder).'),
    max_file_size_mb: z.number().positive().default(10).describe('Size in MB past which the file is rotated.'),
    backup_count: z.int().min(0).default(5).describe('Rotated files kept (`file.1` … `file.N`).'),
  };
}

/** The parsed file keys. */
export interface FileOptions {
  output_file: string;
  max_file_size_mb: number;
  backup_count: number;
}
