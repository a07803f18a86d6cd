-- The quiz, run on the owner's peer. Every function here is callable with goop.call(name, args);
-- goop.caller is the caller's peer ID as its connection authenticated it (the owner's own on the
-- owner's site). Visitors: state, answer, setName, leaderboard. The owner: admin, saveQuestion,
-- deleteQuestion, moveQuestion, saveSettings, resetScores.
--
-- No function returns the answer key to a visitor: `answer` says only whether the visitor's own
-- choice was right, and the key is read in one place (key.lua, K.isRight).
local check = include('check')
local questions = include('questions')
local key = include('key')
local board = include('board')
local settings = include('settings')

local M = {}

local function isOwner()
  return goop.caller == goop.peer
end

local function ownerOnly(what)
  if not isOwner() then check.fail('forbidden', what .. ' is for the quizmaster only') end
end

-- Visitors --------------------------------------------------------------------------------------

-- Everything a page needs to start: the quiz, the caller's own progress, the leaderboard.
function M.state()
  local me = { player = goop.caller, short = board.shortId(goop.caller), score = 0, answered = 0, results = goop.object() }
  if not isOwner() then
    local row = board.player(goop.caller)
    if row ~= nil then
      me.name, me.score, me.answered = row.name, row.score, row.answered
    end
    me.results = board.results(goop.caller)
  end
  return { settings = settings.get(), questions = questions.list(), me = me, board = board.top(), owner = isOwner() }
end

-- { question, choice }: score the caller's one answer to a question (choice: index from 0).
function M.answer(args)
  args = check.args(args, '{ question = 1, choice = 0 }')
  if isOwner() then
    check.fail('forbidden', 'you wrote the answers, so you cannot play: open your quiz from another peer to try it')
  end
  local id = check.id(args.question, 'question')
  local q = questions.get(id)
  local choice = check.index(args.choice, 'choice', #q.choices)
  local right = key.isRight(q, choice)
  local me = board.record(goop.caller, id, choice, right)
  board.publish()
  goop.log('answer', { question = id, correct = right })
  return { question = id, choice = choice, correct = right, score = me.score, answered = me.answered }
end

-- { name }: the caller's name on the leaderboard.
function M.setName(args)
  args = check.args(args, '{ name = "Ada" }')
  if isOwner() then check.fail('forbidden', 'the quizmaster does not play, so needs no name on the leaderboard') end
  local name = check.text(args.name, 'your name', board.NAME_MAX)
  local row = board.setName(goop.caller, name)
  if row.answered > 0 then board.publish() end
  return { name = row.name }
end

function M.leaderboard()
  return board.top()
end

-- The owner ------------------------------------------------------------------------------------

-- The editor's view: each question with its right answer (as text) and how visitors did.
function M.admin()
  ownerOnly('The editor')
  local answers = key.all()
  local stats = {}
  local cursor
  repeat
    local page = goop.db.query('attempts', { columns = { 'question', 'correct' }, limit = 1000, cursor = cursor })
    for _, a in ipairs(page.rows) do
      local s = stats[a.question] or { answered = 0, correct = 0 }
      s.answered = s.answered + 1
      if a.correct then s.correct = s.correct + 1 end
      stats[a.question] = s
    end
    cursor = page.cursor
  until cursor == nil
  local list = {}
  for i, row in ipairs(questions.rows()) do
    local q = questions.public(row)
    q.answer = answers[row._id] or goop.null
    q.stats = stats[row._id] or { answered = 0, correct = 0 }
    list[i] = q
  end
  return { settings = settings.get(), questions = list, board = board.top() }
end

-- { id?, text, choices, answer }: add a question (no id) or change one; answer is the index of the
-- right choice, from 0. Points already scored stay as they were.
function M.saveQuestion(args)
  ownerOnly('Editing questions')
  args = check.args(args, '{ text = "…", choices = { "a", "b" }, answer = 0 }')
  local text, choices, right = questions.parse(args)
  local id
  if args.id ~= nil then
    id = check.id(args.id, 'id')
    questions.update(id, text, choices)
  else
    id = questions.add(text, choices)
  end
  key.set(id, right)
  return { id = id }
end

-- { id }: remove a question and its answer. Points already scored on it stay.
function M.deleteQuestion(args)
  ownerOnly('Deleting questions')
  args = check.args(args, '{ id = 1 }')
  local id = check.id(args.id, 'id')
  questions.delete(id)
  key.remove(id)
  return { deleted = id }
end

-- { id, dir = "up" | "down" }: move a question one place.
function M.moveQuestion(args)
  ownerOnly('Reordering questions')
  args = check.args(args, '{ id = 1, dir = "up" }')
  local id = check.id(args.id, 'id')
  if args.dir ~= 'up' and args.dir ~= 'down' then check.fail('bad_value', 'dir must be "up" or "down"') end
  return { moved = questions.move(id, args.dir == 'up' and -1 or 1) }
end

-- { title, intro }
function M.saveSettings(args)
  ownerOnly('Changing the quiz')
  return settings.set(check.args(args, '{ title = "…", intro = "…" }'))
end

-- Start a new round: forget every answer and zero every score, a batch per call; call again while
-- `remaining` is above 0. The empty leaderboard is published when done.
function M.resetScores()
  ownerOnly('Starting a new round')
  local remaining = board.reset(400)
  if remaining == 0 then board.publish() end
  return { remaining = remaining }
end

return M
