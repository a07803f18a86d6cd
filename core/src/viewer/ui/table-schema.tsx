import type { TableInfo } from './db-api.js'
import { columnLimits, OPERATION_LABELS, OPERATIONS, policySentence, TYPE_LABELS } from './db-format.js'

/**
 * A table's declaration, read-only: its columns (type, required, limits) and, in plain sentences,
 * what visitors may do. Changing either goes through "Apply schema", the one way a schema changes.
 */
export function TableSchema ({ table }: { table: TableInfo }) {
  return (
    <div class='table-schema'>
      <section class='schema-card' aria-labelledby='db-columns-title'>
        <h3 id='db-columns-title'>Columns</h3>
        {table.columns.length === 0
          ? <p class='muted small-text'>No columns of its own: every row has an ID, its author and when it was added and updated.</p>
          : (
            <table class='columns-table' id='db-columns'>
              <thead>
                <tr><th scope='col'>Name</th><th scope='col'>Type</th><th scope='col'>Rules</th></tr>
              </thead>
              <tbody>
                {table.columns.map(c => (
                  <tr key={c.name} data-column={c.name}>
                    <th scope='row' class='mono'>{c.name}{c.description != null && <span class='col-desc'>{c.description}</span>}</th>
                    <td><span class={`type-tag t-${c.type}`}>{TYPE_LABELS[c.type]}</span></td>
                    <td>
                      <div class='rules'>
                        {c.required === true && <span class='rule req'>required</span>}
                        {columnLimits(c).map(l => <span key={l} class='rule'>{l}</span>)}
                        {c.required !== true && columnLimits(c).length === 0 && <span class='muted'>optional</span>}
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            )}
        <p class='muted small-text system-cols'>Every row also has <code>_id</code>, <code>_author</code>, <code>_created</code> and <code>_updated</code>, set by goop.</p>
      </section>
      <section class='schema-card' aria-labelledby='db-policy-title'>
        <h3 id='db-policy-title'>Who can do what</h3>
        <dl class='policy' id='db-policy'>
          {OPERATIONS.map(op => (
            <div key={op} class={`policy-row p-${table.policy[op]}`} data-op={op}>
              <dt>{OPERATION_LABELS[op]}</dt>
              <dd>{policySentence(table.policy, op)}</dd>
            </div>
          ))}
        </dl>
        <p class='muted small-text'>You, the owner, can always do everything.</p>
      </section>
    </div>
  )
}
