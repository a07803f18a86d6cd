/** Topic patterns are exact (`chat.msg`) or a prefix ending in `*` (`chat.*`, or `*` for everything). */
export function topicMatches (pattern: string, topic: string): boolean {
  return pattern.endsWith('*') ? topic.startsWith(pattern.slice(0, -1)) : pattern === topic
}

/** Does a shared pattern allow a subscription to `requested` (itself a topic or a pattern)? */
export function patternCovers (shared: string, requested: string): boolean {
  if (!shared.endsWith('*')) return shared === requested
  return requested.startsWith(shared.slice(0, -1))
}
