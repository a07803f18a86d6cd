-- The answer key: for each question, the text of its right choice, in the table `answers`, whose
-- policy lets no visitor read it. This file is the only one that touches that table.
--
-- Reading it while a visitor calls (to score an answer) needs the owner's rights: `goop.db.owner`,
-- deliberately, in `K.isRight` only — which answers yes or no and never hands the key out. Listing
-- and writing the key happen in the owner's own calls (main.lua checks the caller first), through
-- `goop.db`, which acts for the caller: were that check ever skipped, the table's policy would still
-- refuse a visitor.
local check = include('check')

local K = {}

local function find(db, question)
  local rows = db.query('answers', { where = { column = 'question', op = 'eq', value = question }, limit = 1 }).rows
  return rows[1]
end

local function has(list, text)
  for _, v in ipairs(list) do
    if v == text then return true end
  end
  return false
end

-- Is `choice` (from 0) the right answer to `question` (a questions row)? Fails `not_found` when the
-- question has no usable key yet (none saved, or its text is no longer one of the choices).
function K.isRight(question, choice)
  local row = find(goop.db.owner, question._id)
  if row == nil or not has(question.choices, row.answer) then
    check.fail('not_found', 'question ' .. question._id .. ' cannot be scored yet: the quizmaster has not picked its right answer')
  end
  return question.choices[choice + 1] == row.answer
end

-- The whole key, question ID → right choice's text (the owner's editor).
function K.all()
  local map = {}
  for _, row in ipairs(goop.db.query('answers', { limit = 1000 }).rows) do
    map[row.question] = row.answer
  end
  return map
end

-- Save the right answer of a question (the owner's editor).
function K.set(question, text)
  local row = find(goop.db, question)
  if row == nil then
    goop.db.insert('answers', { question = question, answer = text })
  elseif row.answer ~= text then
    goop.db.update('answers', row._id, { answer = text })
  end
end

-- Forget the right answer of a deleted question.
function K.remove(question)
  local row = find(goop.db, question)
  if row ~= nil then goop.db.delete('answers', row._id) end
end

return K
