/**
 * isolated-vm on Node ≥ 20 needs node started with `--no-node-snapshot` (its README): without it,
 * isolates can crash the process. Rather than let a peer find that out the hard way, `load` refuses
 * with a message that says what to do.
 */
export const NODE_FLAG = '--no-node-snapshot'

/** Why this process cannot run the JS runtime, or undefined when it can. */
export function nodeFlagProblem (execArgv: readonly string[] = process.execArgv, nodeOptions: string | undefined = process.env.NODE_OPTIONS): string | undefined {
  if (execArgv.includes(NODE_FLAG)) return undefined
  if ((nodeOptions ?? '').split(/\s+/).includes(NODE_FLAG)) return undefined
  return `the js runtime needs node started with ${NODE_FLAG} (isolated-vm requires it on Node 20 and later): ` +
    `run node ${NODE_FLAG} …, or set NODE_OPTIONS=${NODE_FLAG}`
}
