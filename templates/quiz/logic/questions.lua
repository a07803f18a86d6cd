-- The questions: read as the caller (the table is open to read), written only in the owner's calls
-- (through goop.db, so the table's owner-only policy backs up main.lua's check of the caller).
local check = include('check')

local Q = {}

Q.MAX = 200          -- questions in one quiz
Q.TEXT_MAX = 300     -- characters of a question
Q.CHOICES_MIN = 2
Q.CHOICES_MAX = 6
Q.CHOICE_MAX = 120   -- characters of a choice

local ORDER = { { column = 'position', dir = 'asc' }, { column = '_id', dir = 'asc' } }

-- Every question, in order (rows of the table).
function Q.rows()
  return goop.db.query('questions', { order = ORDER, limit = Q.MAX }).rows
end

-- What anyone may know of a question: no answer lives in this table, so this is all of it.
function Q.public(row)
  return { id = row._id, text = row.text, choices = row.choices }
end

function Q.list()
  local out = {}
  for i, row in ipairs(Q.rows()) do out[i] = Q.public(row) end
  return out
end

-- One question, or `not_found`.
function Q.get(id)
  local row = goop.db.get('questions', id).row
  if row == nil then check.fail('not_found', 'there is no question ' .. id) end
  return row
end

-- A question as the owner's editor sends it: { text, choices, answer } (answer: index from 0).
function Q.parse(args)
  local text = check.text(args.text, 'the question', Q.TEXT_MAX)
  local choices = check.choices(args.choices, Q.CHOICES_MIN, Q.CHOICES_MAX, Q.CHOICE_MAX)
  local answer = check.index(args.answer, 'the right answer', #choices)
  return text, choices, choices[answer + 1]
end

-- Add a question at the end; its ID.
function Q.add(text, choices)
  local rows = Q.rows()
  if #rows >= Q.MAX then check.fail('bad_request', 'a quiz holds at most ' .. Q.MAX .. ' questions') end
  local last = rows[#rows]
  local position = last and last.position + 1 or 1
  return goop.db.insert('questions', { text = text, choices = choices, position = position }).row._id
end

function Q.update(id, text, choices)
  Q.get(id)
  goop.db.update('questions', id, { text = text, choices = choices })
end

function Q.delete(id)
  Q.get(id)
  goop.db.delete('questions', id)
end

-- Swap a question with its neighbour above (dir -1) or below (dir 1); false at either end.
function Q.move(id, dir)
  local rows = Q.rows()
  local at
  for i, row in ipairs(rows) do
    if row._id == id then at = i end
  end
  if at == nil then check.fail('not_found', 'there is no question ' .. id) end
  if rows[at + dir] == nil then return false end
  rows[at], rows[at + dir] = rows[at + dir], rows[at]
  -- Positions become 1..n in the new order (rows edited by hand may have gaps or ties); only the
  -- rows whose position changes are written.
  for i, row in ipairs(rows) do
    if row.position ~= i then goop.db.update('questions', row._id, { position = i }) end
  end
  return true
end

return Q
