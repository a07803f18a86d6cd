import { useEffect } from 'preact/hooks'
import { Badge, Empty } from './components.js'
import { formatDate } from './db-format.js'
import { IconExternal, IconFolder, IconPlus, IconTemplates } from './icons.js'
import { siteUrl } from './peers.js'
import { useStore } from './store.js'
import { isBroken, type CurrentTemplate, type Listed, type TemplateSummary } from './tpl-api.js'
import { applyFlow, applyFromPath, removeFlow } from './tpl-actions.js'
import { baseName, isCurrent, RUNTIME_LABELS, sourceText, targetOf } from './tpl-format.js'
import { ErrorMessage, OutcomePanel } from './tpl-outcome.js'
import { refreshTemplates, tpl } from './tpl-store.js'

/**
 * The Templates page: the template applied to this peer (what it installed, open the site, remove
 * it), the ones that ship with goop and the owner's own (`<peer>/templates/`), each with "Apply".
 * Applying over another template asks first, naming what goes (tables are backed up); the report
 * afterwards says where the old rows and site went. The templates plugin's `/api/x/templates/*`.
 */

function RuntimeBadge (props: { runtime: TemplateSummary['runtime'] }) {
  const r = RUNTIME_LABELS[props.runtime] ?? { label: props.runtime, title: props.runtime }
  return <Badge kind={`rt rt-${props.runtime}`} title={r.title}>{r.label}</Badge>
}

function CurrentCard (props: { current: CurrentTemplate, selfId: string | undefined, busy: string | null }) {
  const c = props.current
  return (
    <article id='tpl-current' class='current-card' data-template={c.name} aria-labelledby='tpl-current-title'>
      <div class='current-top'>
        <div class='grow'>
          <p class='eyebrow'>Applied to this peer</p>
          <h2 id='tpl-current-title'>{c.title}</h2>
        </div>
        <div class='card-badges'>
          <RuntimeBadge runtime={c.runtime} />
          <span class='version' title='Version'>v{c.version}</span>
        </div>
      </div>
      {c.description !== '' && <p class='card-desc'>{c.description}</p>}
      <dl class='facts'>
        <div data-fact='tables'>
          <dt>Tables</dt>
          <dd>
            {c.tables.length === 0
              ? <span class='muted'>none</span>
              : c.tables.map((t, i) => <span key={t}>{i > 0 && ', '}<a class='mono' href={`#database/${encodeURIComponent(t)}`}>{t}</a></span>)}
          </dd>
        </div>
        <div data-fact='logic'>
          <dt>Logic</dt>
          <dd>
            {c.logic == null
              ? <span class='muted'>none (a static site)</span>
              : c.logic.loaded
                ? c.logic.exports.length === 0
                  ? <span class='muted'>loaded, exports no functions</span>
                  : <>{c.logic.exports.length === 1 ? 'function ' : 'functions '}{c.logic.exports.map((f, i) => <span key={f}>{i > 0 && ', '}<code>{f}</code></span>)}</>
                : <span class='logic-error'>not loaded: {c.logic.error ?? 'unknown reason'}</span>}
          </dd>
        </div>
        <div data-fact='applied'>
          <dt>Applied</dt>
          <dd>{c.appliedAt !== '' ? formatDate(c.appliedAt) : 'earlier'} · <span title={c.source}>{sourceText(c.source, c.path)}</span></dd>
        </div>
      </dl>
      <div class='card-actions'>
        {props.selfId != null && (
          <a class='btn primary' id='tpl-open-site' href={siteUrl(props.selfId)} target='_blank' rel='noopener'>Open your site <IconExternal /></a>
        )}
        <button type='button' class='btn danger-outline' id='tpl-remove' disabled={props.busy != null} onClick={() => { void removeFlow(c) }}>
          {props.busy === 'remove' ? 'Removing…' : 'Remove'}
        </button>
      </div>
    </article>
  )
}

function TemplateCard (props: { t: Listed, from: 'bundled' | 'local', local: Listed[], current: CurrentTemplate | null, busy: string | null }) {
  const { t } = props
  if (isBroken(t)) {
    return (
      <li class='tpl-card broken' data-path={t.path}>
        <div class='card-top'>
          <h3 class='card-title mono' title={t.path}>{baseName(t.path)}</h3>
          <Badge kind='bad'>Cannot be applied</Badge>
        </div>
        <ErrorMessage message={t.error} pathParts={2} />
      </li>
    )
  }
  const applied = isCurrent(t, props.current)
  const key = t.path
  const mine = props.busy === key
  const go = (): void => { void applyFlow(targetOf(t, props.from, props.local), t.title, key) }
  return (
    <li class={`tpl-card${applied ? ' applied' : ''}`} data-template={t.name} aria-busy={mine}>
      <div class='card-top'>
        <h3 class='card-title'>{t.title}</h3>
        {applied && <Badge kind='ok'>Applied</Badge>}
      </div>
      <div class='card-badges'>
        <RuntimeBadge runtime={t.runtime} />
        <span class='version' title='Version'>v{t.version}</span>
      </div>
      <p class='card-desc'>{t.description !== '' ? t.description : <span class='muted'>No description.</span>}</p>
      <div class='card-foot'>
        <span class='mono muted small-text ellipsis' title={t.path}>{props.from === 'local' ? `templates/${baseName(t.path)}` : t.name}</span>
        <button type='button' class={`btn small ${applied ? '' : 'primary'}`} data-action='apply' disabled={props.busy != null}
          aria-label={`${applied ? 'Apply again' : 'Apply'} ${t.title}`} onClick={go}>
          {mine ? <><span class='spinner' aria-hidden='true' /> Applying…</> : applied ? 'Apply again' : 'Apply'}
        </button>
      </div>
    </li>
  )
}

function Gallery (props: { id: string, items: Listed[], from: 'bundled' | 'local', local: Listed[], current: CurrentTemplate | null, busy: string | null, label: string }) {
  return (
    <ul class='tpl-grid' id={props.id} aria-label={props.label}>
      {props.items.map(t => <TemplateCard key={t.path} t={t} from={props.from} local={props.local} current={props.current} busy={props.busy} />)}
    </ul>
  )
}

function PluginOff (props: { go: (screen: string) => void }) {
  const s = useStore()
  const plugin = s.plugins.find(p => p.name === 'templates')
  return (
    <div class='screen narrow-screen'>
      <section class='panel' aria-labelledby='tpl-title'>
        <div class='panel-head'><div><h1 id='tpl-title'>Templates</h1></div></div>
        <div class='notice' id='tpl-off'>
          <p>
            {plugin == null
              ? 'This peer has no templates plugin, so it cannot apply templates.'
              : plugin.state === 'failed'
                ? <>The <strong>templates</strong> plugin failed to start{plugin.error != null ? `: ${plugin.error}` : '.'}</>
                : plugin.state === 'starting'
                  ? <>The <strong>templates</strong> plugin is starting…</>
                  : <>The <strong>templates</strong> plugin is off, so templates cannot be applied, and the logic of an applied one does not run for visitors.</>}
          </p>
          {plugin != null && plugin.state !== 'starting' && <button type='button' class='btn' onClick={() => { props.go('plugins') }}>Go to Plugins</button>}
        </div>
      </section>
    </div>
  )
}

export function TemplatesScreen (props: { go: (screen: string) => void }) {
  const s = useStore()
  const t = tpl.use()
  const running = s.plugins.find(p => p.name === 'templates')?.state === 'running'

  useEffect(() => {
    if (running) void refreshTemplates()
  }, [running])

  if (s.plugins.length > 0 && !running) return <PluginOff go={props.go} />

  const list = t.list
  const current = list?.current ?? null
  const busyTitle = t.busy === 'remove'
    ? current?.title
    : t.busy != null ? ([...(list?.bundled ?? []), ...(list?.local ?? [])].find(x => x.path === t.busy && !isBroken(x)) as TemplateSummary | undefined)?.title ?? baseName(t.busy) : null

  return (
    <div class='screen tpl-screen'>
      <section class='panel' aria-labelledby='tpl-title'>
        <div class='panel-head'>
          <div>
            <h1 id='tpl-title'>Templates</h1>
            <p class='sub'>A template is a whole site to start from: its pages, its tables and, for some, logic that runs on your peer for visitors. One is applied at a time.</p>
          </div>
        </div>
        <p id='tpl-progress' class={`progress${t.busy != null ? '' : ' idle'}`} role='status'>
          {t.busy != null && <><span class='spinner' aria-hidden='true' /> {t.busy === 'remove' ? `Removing ${busyTitle ?? 'the template'}…` : `Applying ${busyTitle ?? 'the template'}: checking its files, building its logic, creating its tables…`}</>}
        </p>
        <OutcomePanel />
        {t.error != null
          ? <div class='notice' role='alert'><p>Could not list the templates: {t.error.message}</p><button type='button' class='btn small' onClick={() => { void refreshTemplates() }}>Try again</button></div>
          : list == null
            ? <div class='loading'>Loading templates…</div>
            : current != null
              ? <CurrentCard current={current} selfId={s.self?.peerId} busy={t.busy} />
              : (
                <div class='current-card none' id='tpl-none'>
                  <p><strong>No template applied.</strong> Your site is what you put on <a href='#site'>My site</a>. Apply one below to start from a complete app.</p>
                </div>
                )}
      </section>

      <section class='panel' aria-labelledby='tpl-bundled-title'>
        <div class='panel-head small'>
          <h2 id='tpl-bundled-title'>Bundled with goop</h2>
        </div>
        {list == null
          ? <div class='loading'>Loading…</div>
          : list.bundled.length === 0
            ? <p class='muted small-text' id='tpl-bundled-empty'>This build of goop ships no templates.</p>
            : <Gallery id='tpl-bundled' label='Bundled templates' items={list.bundled} from='bundled' local={list.local} current={current} busy={t.busy} />}
      </section>

      <section class='panel' aria-labelledby='tpl-local-title'>
        <div class='panel-head small'>
          <div>
            <h2 id='tpl-local-title'>Your templates</h2>
            <p class='sub'>Folders (or <code>.goop.tgz</code> archives) in this peer's <code>templates/</code> folder.</p>
          </div>
          <button type='button' class='btn small' id='tpl-from-path' disabled={t.busy != null || list == null} onClick={() => { void applyFromPath() }}><IconFolder /> Apply from a folder…</button>
        </div>
        {list == null
          ? <div class='loading'>Loading…</div>
          : list.local.length === 0
            ? (
              <Empty icon={<IconTemplates />} title='None yet'>
                <p>Put a template folder in this peer's <code>templates/</code> folder to see it here, or apply one from anywhere on this machine.</p>
                <button type='button' class='btn' disabled={t.busy != null} onClick={() => { void applyFromPath() }}><IconPlus /> Apply from a folder</button>
              </Empty>
              )
            : <Gallery id='tpl-local' label='Your templates' items={list.local} from='local' local={list.local} current={current} busy={t.busy} />}
      </section>
    </div>
  )
}
