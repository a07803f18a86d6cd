import { backupFile } from './db-format.js'
import { IconCheck, IconFile } from './icons.js'
import type { ApplyResult } from './tpl-api.js'
import { errorAt, rowsText, shortPath } from './tpl-format.js'
import { tpl, type Outcome } from './tpl-store.js'

/**
 * How the last apply or removal ended, at the top of the Templates page until dismissed: what was
 * created, where the previous template's rows and site went; or the refusal, with the file and line
 * it points at set apart so a broken template is quick to fix.
 */

/** A refusal's message; when it names a place (`file:line[:col]: …`), the place is shown first. */
export function ErrorMessage (props: { message: string, id?: string, pathParts?: number }) {
  const at = errorAt(props.message)
  if (at == null) return <p class='error-text' id={props.id}>{props.message}</p>
  return (
    <div class='error-at' id={props.id}>
      <p class='error-loc'>
        <IconFile />
        <span>
          <span class='mono error-file' title={at.file}>{shortPath(at.file, props.pathParts)}</span>{' '}
          <span class='error-line'>line {at.line}{at.column != null && `, column ${at.column}`}</span>
        </span>
      </p>
      <p class='mono error-text'>{at.message}</p>
    </div>
  )
}

const ACTIONS: Record<string, string> = { created: 'Created', create: 'Created', migrated: 'Changed', altered: 'Changed', unchanged: 'Kept', none: 'Kept' }

/** Where the rows of dropped tables went: "The rows of <whose> table a were saved to FILE … then the table was removed." */
function BackupNote (props: { whose: string, tables: string[], file: string }) {
  const one = props.tables.length === 1
  return (
    <p data-what='backup'>
      The rows of {props.whose} {one ? 'table' : 'tables'} {props.tables.join(', ')} were saved to <code id='tpl-backup'>{backupFile(props.file)}</code> in
      this peer's <code>backups/</code> folder (<code>goop data restore</code> puts them back), then {one ? 'the table was' : 'the tables were'} removed.
    </p>
  )
}

function Applied (props: { result: ApplyResult }) {
  const r = props.result
  const seeded = (name: string): number => r.seeded[name] ?? 0
  return (
    <>
      <div class='outcome-head'>
        <span class='outcome-mark ok' aria-hidden='true'><IconCheck /></span>
        <div class='grow'>
          <h2 id='tpl-outcome-title'>{r.kind === 'update' ? `Updated ${r.template.title}` : `Applied ${r.template.title}`}</h2>
          {r.kind === 'switch' && r.previous != null && <p class='sub'>It replaced {r.previous.title} {r.previous.version}.</p>}
        </div>
      </div>
      {r.tables.length > 0 && (
        <ul class='outcome-tables' id='tpl-report-tables' aria-label='Its tables'>
          {r.tables.map(t => (
            <li key={t.name} data-table={t.name}>
              <a class='mono' href={`#database/${encodeURIComponent(t.name)}`}>{t.name}</a>
              <span class={`badge action-${t.action}`}>{ACTIONS[t.action] ?? t.action}</span>
              {seeded(t.name) > 0 && <span class='muted small-text'>{rowsText(seeded(t.name))} to start with</span>}
            </li>
          ))}
        </ul>
      )}
      {r.backup != null && <BackupNote whose={r.previous != null ? `${r.previous.title}'s` : 'the previous'} tables={r.dropped} file={r.backup} />}
      {r.migrationBackup != null && <p data-what='migration-backup'>Rows the new version no longer holds were saved to <code>{backupFile(r.migrationBackup)}</code> first.</p>}
      {r.siteBackup != null && <p data-what='site-backup'>The site that was there was moved to <code id='tpl-site-backup'>{r.siteBackup}/</code> in this peer's folder.</p>}
      {r.kvKeysRemoved > 0 && <p data-what='state'>The state the previous template kept ({r.kvKeysRemoved} {r.kvKeysRemoved === 1 ? 'entry' : 'entries'}) was removed.</p>}
    </>
  )
}

/** Refusals that are known to leave the peer as it was, and what to say about them. */
const UNCHANGED: Record<string, string> = {
  bad_template: 'The template has a mistake; nothing on this peer was changed.',
  bad_logic: 'The template\'s logic does not build; nothing on this peer was changed.',
  table_conflict: 'Nothing on this peer was changed.',
  not_found: 'Nothing on this peer was changed.'
}

function Body (props: { outcome: Outcome }) {
  const o = props.outcome
  if (o.kind === 'applied') return <Applied result={o.result} />
  if (o.kind === 'removed') {
    const r = o.result
    return (
      <>
        <div class='outcome-head'>
          <span class='outcome-mark ok' aria-hidden='true'><IconCheck /></span>
          <h2 id='tpl-outcome-title' class='grow'>Removed {o.title}</h2>
        </div>
        {r.backup != null
          ? <BackupNote whose='its' tables={r.dropped} file={r.backup} />
          : <p>It had no tables.</p>}
        <p>Your site's files are still there, on <a href='#site'>My site</a>.</p>
      </>
    )
  }
  return (
    <>
      <div class='outcome-head'>
        <span class='outcome-mark bad' aria-hidden='true'>!</span>
        <div class='grow'>
          <h2 id='tpl-outcome-title'>{o.what}</h2>
          {o.code != null && UNCHANGED[o.code] != null && <p class='sub'>{UNCHANGED[o.code]}</p>}
        </div>
      </div>
      <ErrorMessage message={o.message} id='tpl-error' />
    </>
  )
}

export function OutcomePanel () {
  const { outcome } = tpl.use()
  if (outcome == null) return null
  const failed = outcome.kind === 'failed'
  return (
    <section id='tpl-outcome' class={`outcome ${failed ? 'failed' : 'ok'}`} tabIndex={-1} role={failed ? 'alert' : 'status'} aria-labelledby='tpl-outcome-title' data-outcome={outcome.kind}>
      <Body outcome={outcome} />
      <button type='button' class='icon-btn outcome-close' aria-label='Dismiss' title='Dismiss' onClick={() => { tpl.set({ outcome: null }) }}>×</button>
    </section>
  )
}
