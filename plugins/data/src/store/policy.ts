import type { Operation, Permission, Policy } from '@goop/sdk'
import { fail } from './errors.js'

export interface Caller {
  /** The caller's peer ID, as authenticated by its connection (the owner's own ID for the owner). */
  peer: string
  /** The site owner: may do everything. */
  owner: boolean
}

/**
 * What a visitor may do with a table, per operation (the owner: `true` everywhere). The words are
 * sdk PolicySchema's; one rule ties them together: update and delete act on rows the caller can
 * read. So:
 * - read: open → every row; author → `'own'`; owner → nothing.
 * - insert: open → yes; owner → no.
 * - update, delete: owner → no; author → `'own'` (its own rows, if it may read them); open → every
 *   row it may read (all with read open, its own with read author). With read `owner` a visitor can
 *   read no row, so it can change none either.
 */
export function permissions (policy: Policy, caller: Caller): Record<Operation, Permission> {
  if (caller.owner) return { read: true, insert: true, update: true, delete: true }
  const read: Permission = policy.read === 'open' ? true : policy.read === 'author' ? 'own' : false
  const change = (p: Policy['update']): Permission =>
    p === 'owner' || read === false ? false : (p === 'author' || read === 'own') ? 'own' : true
  return { read, insert: policy.insert === 'open', update: change(policy.update), delete: change(policy.delete) }
}

/** Whether a visitor may do anything at all with the table (describe lists only those). */
export function anyAllowed (can: Record<Operation, Permission>): boolean {
  return can.read !== false || can.insert !== false || can.update !== false || can.delete !== false
}

const VERBS: Record<Operation, string> = { read: 'read', insert: 'insert into', update: 'update rows of', delete: 'delete rows of' }

/** Refuse an operation the policy does not allow this caller on any row. */
export function refuse (table: string, op: Operation, policy: Policy): never {
  fail('forbidden', `visitors may not ${VERBS[op]} table ${table} (its ${op} policy is ${policy[op]}${op !== 'read' && op !== 'insert' && policy.read === 'owner' ? ' and its read policy owner' : ''})`)
}

/** Refuse a change to a row the caller can read but did not write. */
export function refuseRow (table: string, op: 'update' | 'delete', id: number): never {
  fail('forbidden', `row ${id} of table ${table} was written by another peer; visitors may ${op} only their own rows here (its ${op} policy is author)`)
}
