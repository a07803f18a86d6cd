import { listTables } from './db-api.js'
import { confirmDialog, promptDialog } from './dialog.js'
import { applyTemplate, planOf, removeTemplate, type ApplyPlan, type CurrentTemplate, type Target } from './tpl-api.js'
import { baseName, planTitle, rowsText } from './tpl-format.js'
import { refreshTemplates, tpl } from './tpl-store.js'
import { toast } from './toast.js'

/**
 * The Templates page's two actions, each asked about before anything is removed: apply (the server
 * says when another template would be replaced, with a plan of what goes; the page shows it and
 * applies again with `force` only after the owner agrees) and remove the applied one.
 */

/** After an action: the report, at the top of the page, gets the focus (and so comes into view). */
function showOutcome (): void {
  requestAnimationFrame(() => { document.getElementById('tpl-outcome')?.focus() })
}

function TableList (props: { tables: Array<{ name: string, rows?: number }> }) {
  return (
    <>
      {props.tables.map((t, i) => (
        <span key={t.name}>{i > 0 && ', '}<strong class='mono'>{t.name}</strong>{t.rows != null && ` (${rowsText(t.rows)})`}</span>
      ))}
    </>
  )
}

/** What applying will remove, in the words of the plan. */
function PlanBody (props: { plan: ApplyPlan }) {
  const { plan } = props
  const switching = plan.kind === 'switch' && plan.previous != null
  // The plan does not say whether the previous template has logic; the page knows when it is the one it shows.
  const shown = tpl.get().list?.current
  const hadLogic = shown == null || shown.name !== plan.previous?.name || shown.logic != null
  return (
    <div class='plan' id='tpl-plan'>
      <p>
        {switching
          ? <>Applying <strong>{plan.template.title}</strong> replaces <strong>{plan.previous?.title}</strong> {plan.previous?.version}. This removes:</>
          : <>The new version of <strong>{plan.template.title}</strong> no longer has some of its tables. This removes:</>}
      </p>
      <ul class='plan-list'>
        {plan.drop.length > 0
          ? <li data-what='tables'>{plan.drop.length === 1 ? 'its table ' : 'its tables '}<TableList tables={plan.drop} /></li>
          : switching && <li data-what='tables'>no tables (it has none)</li>}
        {switching && (hadLogic || plan.kvKeys > 0) && <li data-what='logic'>its logic{plan.kvKeys > 0 ? ` and the state it kept (${plan.kvKeys} ${plan.kvKeys === 1 ? 'entry' : 'entries'})` : ''}</li>}
        {plan.siteBackup != null && <li data-what='site'>your site as it is now: it is moved aside to <code>{plan.siteBackup}/</code></li>}
      </ul>
      {plan.drop.length > 0 && <p>The rows are saved to a backup file in this peer's <code>backups/</code> folder first. Tables you made yourself are not touched.</p>}
    </div>
  )
}

/** Apply a template; `title` names it in messages, `key` marks its card busy. */
export async function applyFlow (target: Target, title: string, key: string): Promise<void> {
  if (tpl.get().busy != null) return
  tpl.set({ busy: key, outcome: null })
  try {
    let result
    try {
      result = await applyTemplate(target)
    } catch (err) {
      const plan = planOf(err)
      if (plan === undefined) throw err
      tpl.set({ busy: null })
      const ok = await confirmDialog({
        title: plan != null ? planTitle(plan) : `Replace the applied template with ${title}?`,
        body: plan != null ? <PlanBody plan={plan} /> : <p>{(err as Error).message}</p>,
        confirm: plan?.drop.length === 0 ? 'Replace' : 'Back up and replace',
        danger: true
      })
      if (!ok) return
      tpl.set({ busy: key })
      result = await applyTemplate(target, true)
    }
    tpl.set({ outcome: { kind: 'applied', result } })
    toast.info(`Applied ${result.template.title}`)
  } catch (err) {
    tpl.set({ outcome: { kind: 'failed', what: `Could not apply ${title}`, message: (err as Error).message, code: (err as { code?: string }).code } })
  } finally {
    tpl.set({ busy: null })
  }
  showOutcome()
  await refreshTemplates()
}

/** Ask for a folder or archive on this peer's machine, then apply it. */
export async function applyFromPath (): Promise<void> {
  const path = await promptDialog({
    title: 'Apply a template from a folder',
    body: <p>A folder with <code>goop-template.json</code>, <code>site/</code> and, for templates with logic, <code>logic/</code> — or a <code>.goop.tgz</code> archive. The path is on the machine this peer runs on.</p>,
    confirm: 'Apply',
    input: {
      label: 'Folder or archive',
      placeholder: '/home/me/my-template',
      validate: v => v === '' ? 'Please enter a path.' : null
    }
  })
  if (path == null) return
  await applyFlow({ path }, baseName(path), path)
}

/** Remove the applied template after saying what goes (with row counts when the data plugin can tell them). */
export async function removeFlow (current: CurrentTemplate): Promise<void> {
  if (tpl.get().busy != null) return
  const rows = await listTables().then(ts => new Map(ts.map(t => [t.name, t.rows])), () => new Map<string, number>())
  const tables = current.tables.map(name => ({ name, rows: rows.get(name) }))
  const ok = await confirmDialog({
    title: `Remove ${current.title}?`,
    body: (
      <div class='plan' id='tpl-plan'>
        <p>This removes:</p>
        <ul class='plan-list'>
          {tables.length > 0 && <li data-what='tables'>{tables.length === 1 ? 'its table ' : 'its tables '}<TableList tables={tables} />, saved to a backup file in <code>backups/</code> first</li>}
          {current.logic != null && <li data-what='logic'>its logic and the state it kept</li>}
          <li data-what='template'>the template itself, so visitors' calls to it stop</li>
        </ul>
        <p>Your site's files stay as they are: edit or replace them on <strong>My site</strong>.</p>
      </div>
    ),
    confirm: tables.length > 0 ? 'Back up and remove' : 'Remove',
    danger: true
  })
  if (!ok) return
  tpl.set({ busy: 'remove', outcome: null })
  try {
    const result = await removeTemplate()
    tpl.set({ outcome: { kind: 'removed', result, title: current.title } })
    toast.info(`Removed ${current.title}`)
  } catch (err) {
    tpl.set({ outcome: { kind: 'failed', what: `Could not remove ${current.title}`, message: (err as Error).message, code: (err as { code?: string }).code } })
  } finally {
    tpl.set({ busy: null })
  }
  showOutcome()
  await refreshTemplates()
}
