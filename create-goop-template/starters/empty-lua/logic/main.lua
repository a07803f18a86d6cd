-- The server side of this app. It runs on the site owner's peer, in a sandbox (no files, no network,
-- a memory cap and a deadline per call). Every function in the table returned at the end can be
-- called by a page with goop.call(name, args); goop.caller is the visitor's peer ID, as its
-- connection proved it (nothing a page sends can change it).
--
-- The host API: goop.db (acts for the caller, so the tables' policies hold), goop.db.owner (acts as
-- the owner: only where the logic means to), goop.kv, goop.mq, goop.log, goop.now().
-- Nothing survives between calls but what goop.db and goop.kv store.

local MAX_LENGTH = 280
local MAX_NOTES_PER_VISITOR = 20

local M = {}

-- addNote { text = "…" }: check the note, then store it with its writer. The table lets only the
-- owner insert (goop-template.json), so this function is the one way in for visitors: its checks
-- cannot be skipped by writing to the table directly.
function M.addNote(args)
  local text = type(args) == 'table' and args.text or nil
  if type(text) ~= 'string' then error('send { text = "…" }', 0) end
  text = text:match('^%s*(.-)%s*$')
  if #text == 0 or utf8.len(text) == nil or utf8.len(text) > MAX_LENGTH then
    error('a note is 1 to ' .. MAX_LENGTH .. ' characters', 0)
  end
  local mine = goop.db.owner.count('notes', { column = 'by', op = 'eq', value = goop.caller })
  if mine.count >= MAX_NOTES_PER_VISITOR then
    error('you have left ' .. MAX_NOTES_PER_VISITOR .. ' notes already', 0)
  end
  local stored = goop.db.owner.insert('notes', { text = text, by = goop.caller })
  goop.log('note added', { id = stored.row._id })
  return stored.row
end

return M
