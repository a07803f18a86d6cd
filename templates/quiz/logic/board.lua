-- Players, scores and the leaderboard. Visitors may read `players` but not write it and not read
-- `attempts` at all, so scoring writes both as the owner (goop.db.owner), deliberately; the player
-- is always goop.caller, as the caller's connection authenticated it, never a name from the args.
local check = include('check')

local B = {}

B.TOPIC = 'app.quiz.leaderboard'
B.TOP = 10
B.NAME_MAX = 24

local function eq(column, value) return { column = column, op = 'eq', value = value } end

-- A name for someone who chose none: the end of their peer ID.
function B.shortId(peer)
  return peer:sub(-6)
end

-- The players row of `peer`, or nil.
function B.player(peer)
  return goop.db.owner.query('players', { where = eq('player', peer), limit = 1 }).rows[1]
end

local function save(peer, values)
  local row = B.player(peer)
  if row == nil then
    values.player = peer
    return goop.db.owner.insert('players', values).row
  end
  return goop.db.owner.update('players', row._id, values).row
end

function B.setName(peer, name)
  return save(peer, { name = name })
end

-- Record one scored answer: a second answer to the same question fails `conflict` (the table's
-- unique slot makes that hold even for two answers sent at once). Returns the player's row.
function B.record(peer, question, choice, right)
  local slot = peer .. ':' .. question
  if #goop.db.owner.query('attempts', { where = eq('slot', slot), limit = 1 }).rows > 0 then
    check.fail('conflict', 'you have already answered question ' .. question .. ': one answer each, no retries')
  end
  local ok, err = pcall(goop.db.owner.insert, 'attempts', { player = peer, question = question, choice = choice, correct = right, slot = slot })
  if not ok then
    if type(err) == 'table' and err.code == 'conflict' then
      check.fail('conflict', 'you have already answered question ' .. question .. ': one answer each, no retries')
    end
    error(err, 0)
  end
  -- The score is counted from the attempts, not added to: it stays right whatever ran before.
  local score = goop.db.owner.count('attempts', { ['and'] = { eq('player', peer), eq('correct', true) } }).count
  local answered = goop.db.owner.count('attempts', eq('player', peer)).count
  local before = B.player(peer)
  local values = { score = score, answered = answered }
  if before == nil or before.score ~= score then values.reached = math.floor(goop.now()) end
  return save(peer, values)
end

-- The caller's own answers so far: question ID (as text) → { choice, correct }.
function B.results(peer)
  local out = goop.object()
  local rows = goop.db.owner.query('attempts', { where = eq('player', peer), columns = { 'question', 'choice', 'correct' }, limit = 1000 }).rows
  for _, r in ipairs(rows) do out[tostring(r.question)] = { choice = r.choice, correct = r.correct } end
  return out
end

-- The leaderboard everyone sees: the top players (ties go to who got there first) and totals.
function B.top()
  local rows = goop.db.query('players', {
    where = { column = 'answered', op = 'gt', value = 0 },
    order = { { column = 'score', dir = 'desc' }, { column = 'reached', dir = 'asc' }, { column = '_id', dir = 'asc' } },
    limit = B.TOP,
  }).rows
  local top = {}
  for i, r in ipairs(rows) do
    top[i] = { rank = i, player = r.player, name = r.name or goop.null, short = B.shortId(r.player), score = r.score, answered = r.answered }
  end
  return {
    top = top,
    players = goop.db.count('players', { column = 'answered', op = 'gt', value = 0 }).count,
    questions = goop.db.count('questions').count,
  }
end

-- Tell everyone following the leaderboard (goop.events.on on the pages).
function B.publish()
  local board = B.top()
  goop.mq.publish(B.TOPIC, board)
  return board
end

-- Start a new round, a batch at a time (a call may make only so many host calls): delete the
-- attempts and zero the scores. Returns how many rows are left to do.
function B.reset(batch)
  local budget = batch
  while budget > 0 do
    local rows = goop.db.owner.query('attempts', { columns = { 'slot' }, limit = math.min(budget, 100) }).rows
    if #rows == 0 then break end
    for _, r in ipairs(rows) do goop.db.owner.delete('attempts', r._id) end
    budget = budget - #rows
  end
  local scored = { column = 'answered', op = 'gt', value = 0 }
  while budget > 0 do
    local rows = goop.db.owner.query('players', { where = scored, columns = { 'player' }, limit = math.min(budget, 100) }).rows
    if #rows == 0 then break end
    for _, r in ipairs(rows) do goop.db.owner.update('players', r._id, { score = 0, answered = 0, reached = 0 }) end
    budget = budget - #rows
  end
  return goop.db.owner.count('attempts').count + goop.db.owner.count('players', scored).count
end

return B
