import type { z } from '@goop/sdk'

type Issue = z.ZodError['issues'][number]

/** `where.and[3].op` */
export function pathText (path: ReadonlyArray<PropertyKey>): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : (out === '' ? String(p) : `.${String(p)}`)
  return out
}

/**
 * One readable sentence from zod's issues: the first few, each with the path it is about. For a
 * union that matched no branch, the branch that got furthest tells what was wrong.
 */
export function zodMessage (error: z.ZodError, prefix: ReadonlyArray<PropertyKey> = []): string {
  const parts: string[] = []
  for (const issue of error.issues.slice(0, 3)) parts.push(issueText(issue, prefix))
  if (error.issues.length > 3) parts.push(`and ${error.issues.length - 3} more`)
  return parts.join('; ')
}

function issueText (issue: Issue, prefix: ReadonlyArray<PropertyKey>): string {
  const path = [...prefix, ...issue.path]
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    let best: Issue[] = issue.errors[0]
    for (const branch of issue.errors) if (depth(branch) > depth(best)) best = branch
    if (best.length > 0 && depth(best) > 0) return issueText(best[0], path)
  }
  if (issue.code === 'invalid_key' && issue.issues.length > 0) return `${where(path)}not a valid name: ${issue.issues.map(i => i.message).join('; ')}`
  if (issue.code === 'unrecognized_keys') return `${where(path)}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.slice(0, 5).map(k => JSON.stringify(k)).join(', ')}`
  return `${where(path)}${issue.message}`
}

function depth (branch: Issue[]): number {
  return branch.length === 0 ? 0 : Math.max(...branch.map(i => i.path.length)) + 1
}

function where (path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? '' : `${pathText(path)}: `
}
