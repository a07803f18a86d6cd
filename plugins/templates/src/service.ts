import { join } from 'node:path'
import { GoopError, TEMPLATE_NAME_PATTERN, type LogicModule, type LogicRuntime, type PluginContext, type TemplateRuntime } from '@goop/sdk'
import { applyTemplate, ConfirmNeeded, describePlan, needsConfirm, planApply, planRemove, removeTemplate, type ApplyEnv } from './apply.js'
import type { ApplyResult, CurrentTemplate, Listed, RemoveResult, TemplateList, TemplateSummary } from './api-types.js'
import { CALL_LIMITS, parseCall, sizeOf, type CallClient, type CallRequest } from './calls.js'
import { bundledDir, listDir, localDir, locate, summaryOf } from './catalog.js'
import type { TemplatesConfig } from './config.js'
import type { DataApi } from './data-api.js'
import { fail } from './errors.js'
import { createHost } from './host.js'
import { readInstalled, type Installed } from './installed.js'
import type { KvStore } from './kv.js'
import { limitsOf, loadLogic, loadTemplate } from './load.js'
import type { CallLimiter } from './rate-limit.js'

/**
 * The `templates` service (`ctx.use('templates')` in a plugin that lists `requires: ['templates']`).
 * One template is applied at a time; applies and removals run one after the other.
 */
export interface TemplatesService {
  /** The bundled templates, the owner's own (`<peer>/templates/`), and the applied one. Broken ones are listed with their error. */
  list(): Promise<TemplateList>
  current(): CurrentTemplate | null
  /** Read and check a template (manifest, files, logic compiled) without applying it. */
  check(nameOrPath: string): Promise<TemplateSummary>
  /**
   * Apply a template by name (`<peer>/templates/`, then the bundled ones) or path (folder or
   * `.goop.tgz`). Replacing another template, or an update that drops tables, needs `force`;
   * without it: GoopError `confirm_needed` (a ConfirmNeeded with the plan).
   */
  apply(nameOrPath: string, opts?: { force?: boolean }): Promise<ApplyResult>
  /** Remove the applied template (tables backed up and dropped, logic and kv removed; site files kept). `null` if none was applied. */
  remove(): Promise<RemoveResult | null>
  /** Call an exported function of a peer's template: this peer's own as its owner, another's over /goop/call/1.0.0 as its visitor. */
  call(peer: string, fn: string, args?: unknown): Promise<unknown>
}

declare module '@goop/sdk' {
  interface Services {
    templates: TemplatesService
  }
  interface Topics {
    /** The applied template changed (applied, updated, switched, removed). Not shared with other peers. */
    'templates.changed': { name: string | null, version: string | null, kind: 'new' | 'update' | 'switch' | 'removed' }
  }
}

interface Active {
  installed: Installed
  module?: LogicModule
  /** Why the logic is not loaded (it failed to load on start). */
  error?: string
}

export interface ServiceDeps {
  ctx: PluginContext<TemplatesConfig>
  data: DataApi
  kv: KvStore
  runtimes: Partial<Record<TemplateRuntime, LogicRuntime>>
  limiter: CallLimiter
  client: CallClient
}

export class Templates implements TemplatesService {
  private active: Active | null = null
  private queue: Promise<unknown> = Promise.resolve()
  /** mq.send deliveries in flight (bounded per peer: one template runs at a time). */
  private readonly sends = { inFlight: 0 }
  private readonly scratch: string
  private readonly env: ApplyEnv

  constructor (private readonly deps: ServiceDeps) {
    const { ctx } = deps
    this.scratch = join(ctx.dirs.state, 'work')
    this.env = { peerDir: ctx.dirs.peer, scratch: this.scratch, data: deps.data, kv: deps.kv, log: ctx.log }
  }

  /** Applies and removals one at a time (the API and the CLI can ask together). */
  private serial<T> (fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn)
    this.queue = next.catch(() => {})
    return next
  }

  private limits (manifest: Installed['manifest']): ReturnType<typeof limitsOf> {
    return limitsOf(manifest, this.deps.ctx.config.logic)
  }

  /** Load `<peer>/template/` on start. A template that no longer loads is reported, never fatal: the peer serves its site without the logic. */
  async start (): Promise<void> {
    const log = this.deps.ctx.log
    let installed: Installed | null
    try {
      installed = await readInstalled(this.deps.ctx.dirs.peer)
    } catch (err) {
      log.error('the applied template cannot be read; its logic is off until it is applied again', { error: (err as Error).message })
      return
    }
    if (installed == null) return
    const m = installed.manifest
    try {
      const module = await loadLogic(installed.template, this.deps.runtimes[m.runtime], this.limits(m))
      this.active = { installed, module }
      log.info(`template ${m.name} ${m.version} loaded`, { runtime: m.runtime, exports: module?.exports.length ?? 0 })
    } catch (err) {
      this.active = { installed, error: (err as Error).message }
      log.error(`template ${m.name} ${m.version}: its logic does not load; calls are refused until it is applied again`, { error: (err as Error).message })
    }
  }

  async stop (): Promise<void> {
    const module = this.active?.module
    this.active = null
    await module?.dispose().catch(() => {})
  }

  current (): CurrentTemplate | null {
    const a = this.active
    if (a == null) return null
    const m = a.installed.manifest
    return {
      ...summaryOf(a.installed.template),
      path: join(this.deps.ctx.dirs.peer, 'template'),
      appliedAt: a.installed.applied.appliedAt,
      source: a.installed.applied.source,
      tables: Object.keys(m.tables),
      logic: m.runtime === 'static' ? null : { loaded: a.module != null, exports: [...(a.module?.exports ?? [])], ...(a.error != null ? { error: a.error } : {}) }
    }
  }

  async list (): Promise<{ bundled: Listed[], local: Listed[], current: CurrentTemplate | null }> {
    return {
      bundled: await listDir(bundledDir(), this.scratch),
      local: await listDir(localDir(this.deps.ctx.dirs.peer), this.scratch),
      current: this.current()
    }
  }

  async check (nameOrPath: string): Promise<TemplateSummary> {
    const t = await loadTemplate(await locate(nameOrPath, this.deps.ctx.dirs.peer), this.scratch)
    try {
      const module = await loadLogic(t, this.deps.runtimes[t.manifest.runtime], this.limits(t.manifest))
      await module?.dispose()
      return summaryOf(t)
    } finally { await t.cleanup() }
  }

  async apply (nameOrPath: string, opts: { force?: boolean } = {}): Promise<ApplyResult> {
    return await this.serial(async () => {
      const { ctx, kv } = this.deps
      const path = await locate(nameOrPath, ctx.dirs.peer)
      // Everything is checked before the peer is touched: the files, the manifest, the logic compiled.
      const t = await loadTemplate(path, this.scratch)
      try {
        const module = await loadLogic(t, this.deps.runtimes[t.manifest.runtime], this.limits(t.manifest))
        try {
          const previous = this.active
          const plan = await planApply(this.env, t, previous?.installed ?? null)
          if (needsConfirm(plan) && opts.force !== true) throw new ConfirmNeeded(`${describePlan(plan)}. Apply again with force to go on.`, plan)
          const source = TEMPLATE_NAME_PATTERN.test(nameOrPath) ? nameOrPath : path
          const result = await applyTemplate(this.env, t, plan, { force: opts.force === true, source })
          // Committed on disk and in data.db: switch the logic, then forget the old template's state.
          const installed = await readInstalled(ctx.dirs.peer)
          if (installed == null) throw new GoopError('apply_failed', 'the template was applied but its copy in template/ is missing', 500)
          this.active = { installed, module }
          await previous?.module?.dispose().catch(() => {})
          if (plan.kind === 'switch' && plan.previous != null) kv.drop(plan.previous.name)
          ctx.log.info(`template ${t.manifest.name} ${t.manifest.version} applied`, { kind: plan.kind, previous: plan.previous?.name, backup: result.backup, siteBackup: result.siteBackup })
          ctx.mq.publish('templates.changed', { name: t.manifest.name, version: t.manifest.version, kind: plan.kind })
          return result
        } catch (err) {
          await module?.dispose().catch(() => {})
          throw err
        }
      } finally {
        await t.cleanup()
      }
    })
  }

  async remove (): Promise<RemoveResult | null> {
    return await this.serial(async () => {
      const a = this.active
      if (a == null) return null
      const plan = await planRemove(this.env, a.installed)
      const result = await removeTemplate(this.env, plan)
      this.active = null
      await a.module?.dispose().catch(() => {})
      this.deps.kv.drop(plan.name)
      this.deps.ctx.log.info(`template ${plan.name} removed`, { backup: result.backup })
      this.deps.ctx.mq.publish('templates.changed', { name: null, version: null, kind: 'removed' })
      return result
    })
  }

  /**
   * Run an exported function of the applied template for `caller` (authenticated: the connection's
   * peer, or this peer for its owner). Visitors are rate-limited per peer; the owner is not.
   */
  async run (caller: string, call: CallRequest): Promise<unknown> {
    const { ctx, limiter } = this.deps
    const a = this.active
    if (a == null) fail('no_template', 'this peer has no template applied, so there is nothing to call')
    if (a.module == null) fail('no_template', a.error != null ? `the template's logic is not loaded: ${a.error}` : `template ${a.installed.manifest.name} is static: it has no functions to call`)
    if (!a.module.exports.includes(call.fn)) fail('not_exported', `template ${a.installed.manifest.name} exports no function ${call.fn}`)
    const end = caller === ctx.peerId ? () => {} : limiter.start(caller)
    try {
      const host = createHost({
        manifest: a.installed.manifest,
        owner: ctx.peerId,
        data: this.deps.data,
        kv: this.deps.kv,
        mq: ctx.mq,
        log: ctx.log,
        live: () => this.active === a,
        sends: this.sends
      }, caller)
      const result = await a.module.call(call.fn, call.args, { caller, peer: ctx.peerId }, host)
      sizeOf(result ?? null, CALL_LIMITS.resultBytes, 'the result')
      return result ?? null
    } finally {
      end()
    }
  }

  async call (peer: string, fn: string, args: unknown = null): Promise<unknown> {
    const call = parseCall({ fn, args })
    if (peer === this.deps.ctx.peerId) return await this.run(peer, call)
    return await this.deps.client.call(peer, call)
  }
}
