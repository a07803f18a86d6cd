// A child process for the durability test: inserts as fast as it can and prints each _id once the
// insert has returned (been acknowledged), until it is killed.
import { DataStore } from '../src/store/index.js'

const [file, backupDir] = process.argv.slice(2)
const store = DataStore.open(file, { backupDir })
const caller = { peer: '12D3KooWVisitor', owner: false }
process.stdout.write('ready\n')
for (let i = 0; ; i++) {
  const { row } = store.execute({ op: 'insert', table: 'storm', values: { n: i, s: `value ${i}` } }, caller) as { row: { _id: number } }
  process.stdout.write(`${row._id}\n`)
}
