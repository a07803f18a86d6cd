-- The quiz's title and introduction, in goop.kv (the template's private state), set by the owner.
local check = include('check')

local S = {}

S.TITLE_MAX = 60
S.INTRO_MAX = 300

local DEFAULTS = {
  title = 'Pub quiz',
  intro = 'Pick an answer for each question: one shot each, no retries. The answers never leave the quizmaster\'s peer, so no peeking!',
}

function S.get()
  local saved = goop.kv.get('settings') or {}
  return { title = saved.title or DEFAULTS.title, intro = saved.intro or DEFAULTS.intro }
end

-- { title, intro } as the owner's editor sends them; an empty intro is allowed.
function S.set(args)
  local value = {
    title = check.text(args.title, 'the title', S.TITLE_MAX),
    intro = check.text(args.intro or '', 'the introduction', S.INTRO_MAX, 0),
  }
  goop.kv.set('settings', value)
  return value
end

return S
