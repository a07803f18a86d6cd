/**
 * Just enough of source map v3 to say where in the template's own files an error was thrown: decode
 * the VLQ `mappings` esbuild wrote for the bundle and look a generated position up. (No dependency:
 * the whole need is ~50 lines, and it runs only when logic throws.)
 */

interface Segment { col: number, source: number, line: number, srcCol: number }

export interface RawSourceMap { sources: string[], mappings: string }

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]))

export class SourceMap {
  private lines: Segment[][] | undefined
  constructor (private readonly raw: RawSourceMap, private readonly sourceName: (s: string) => string) {}

  /** The original `file:line:col` (1-based) of a 0-based line and column of the bundle, if the map knows it. */
  lookup (line: number, col: number): string | undefined {
    const segs = this.decoded()[line]
    if (segs == null || segs.length === 0) return undefined
    let best: Segment | undefined
    for (const s of segs) { if (s.col <= col) best = s; else break }
    best ??= segs[0]
    const source = this.raw.sources[best.source]
    if (source == null) return undefined
    return `${this.sourceName(source)}:${best.line + 1}:${best.srcCol + 1}`
  }

  private decoded (): Segment[][] {
    if (this.lines != null) return this.lines
    const lines: Segment[][] = []
    let source = 0; let line = 0; let srcCol = 0
    for (const text of this.raw.mappings.split(';')) {
      const segs: Segment[] = []
      let col = 0
      for (const part of text.split(',')) {
        if (part === '') continue
        const v = decodeVlq(part)
        if (v.length < 4) continue // a segment with no source position
        col += v[0]; source += v[1]; line += v[2]; srcCol += v[3]
        segs.push({ col, source, line, srcCol })
      }
      lines.push(segs)
    }
    this.lines = lines
    return lines
  }
}

function decodeVlq (s: string): number[] {
  const out: number[] = []
  let value = 0; let shift = 0
  for (const c of s) {
    const digit = B64_INDEX.get(c)
    if (digit == null) return []
    value += (digit & 31) << shift
    if ((digit & 32) !== 0) { shift += 5; continue }
    out.push((value & 1) === 1 ? -(value >>> 1) : value >>> 1)
    value = 0; shift = 0
  }
  return out
}
