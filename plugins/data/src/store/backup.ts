import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { z, type Row, type TableDef } from '@goop/sdk'
import { fail } from './errors.js'
import { checkShape, MAX_NESTING } from './guard.js'
import { zodMessage } from './zod-message.js'

/**
 * Backups: one JSON file per backup, in the backup folder, named `<ISO time>-<reason>.json`.
 *   { "goop": "data-backup", "version": 1, "reason", "created",
 *     "tables": [{ "name", "schema": TableDef, "source", "sequence", "rows": [Row, ...] }] }
 * Rows are as a query returns them (booleans, parsed json, system columns included), so a person can
 * read a backup and restore() can put every row back with its original `_id`, `_author` and times.
 * `sequence` is the table's AUTOINCREMENT counter, so restored tables never reuse an `_id` either.
 */
export interface BackupTableSource {
  name: string
  schema: TableDef
  source: string
  sequence: number
  rows: Iterable<Row>
}

export const BackupSchema = z.object({
  goop: z.literal('data-backup'),
  version: z.literal(1),
  reason: z.string(),
  created: z.string(),
  tables: z.array(z.object({
    name: z.string(),
    schema: z.unknown(),
    source: z.string(),
    sequence: z.number().int().nonnegative().optional(),
    rows: z.array(z.record(z.string(), z.unknown()))
  }))
})
export type BackupFile = z.infer<typeof BackupSchema>

/** `2025-01-31T12-00-00.000Z-before-apply.json`: no `:` (Windows), only [a-z0-9-] from the reason. */
export function backupFileName (created: string, reason: string): string {
  const safe = reason.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48) || 'backup'
  return `${created.replaceAll(':', '-')}-${safe}`
}

/**
 * Write a backup, streaming row by row, to a temporary file that is fsynced and then renamed: a
 * backup either exists whole or not at all, and is on disk before the change that needed it runs.
 */
export function writeBackup (dir: string, reason: string, tables: Iterable<BackupTableSource>): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const created = new Date().toISOString()
  const base = backupFileName(created, reason)
  let file = join(dir, `${base}.json`)
  for (let i = 2; existsSync(file); i++) file = join(dir, `${base}-${i}.json`)
  const tmp = `${file}.tmp`
  const fd = openSync(tmp, 'w', 0o600)
  try {
    let buf = ''
    const put = (s: string): void => {
      buf += s
      if (buf.length > 1 << 20) { writeSync(fd, buf); buf = '' }
    }
    put(`{"goop":"data-backup","version":1,"reason":${JSON.stringify(reason)},"created":${JSON.stringify(created)},"tables":[`)
    let firstTable = true
    for (const t of tables) {
      put(`${firstTable ? '' : ','}\n{"name":${JSON.stringify(t.name)},"schema":${JSON.stringify(t.schema)},"source":${JSON.stringify(t.source)},"sequence":${t.sequence},"rows":[`)
      firstTable = false
      let firstRow = true
      for (const row of t.rows) {
        put(`${firstRow ? '\n' : ',\n'}${JSON.stringify(row)}`)
        firstRow = false
      }
      put(']}')
    }
    put('\n]}\n')
    writeSync(fd, buf)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, file)
  try {
    const dfd = openSync(dir, 'r')
    try { fsyncSync(dfd) } finally { closeSync(dfd) }
  } catch { /* some platforms cannot fsync a directory; the file itself is synced */ }
  return file
}

export function readBackup (file: string): BackupFile {
  let text: string
  try { text = readFileSync(file, 'utf8') } catch (err) { fail('bad_backup', `cannot read the backup ${file}: ${(err as Error).message}`) }
  let parsed: unknown
  try { parsed = JSON.parse(text) } catch (err) { fail('bad_backup', `${file} is not JSON: ${(err as Error).message}`) }
  checkShape(parsed, `backup ${file}`, MAX_NESTING + 4, Number.MAX_SAFE_INTEGER)
  const result = BackupSchema.safeParse(parsed)
  if (!result.success) fail('bad_backup', `${file} is not a goop data backup: ${zodMessage(result.error)}`)
  return result.data
}
