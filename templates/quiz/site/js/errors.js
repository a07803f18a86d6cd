// What a failed goop.call means, in words for the person at the page. The owner's logic already
// says why in err.message (e.g. "you have already answered question 3: …"); codes without a useful
// message get a plain sentence here.

const PLAIN = {
  unreachable: 'The quizmaster\'s peer could not be reached. Check that it is online and try again.',
  timeout: 'The quizmaster\'s peer took too long to answer. Try again.',
  rate_limited: 'That was a lot of clicks at once. Wait a moment and try again.',
  no_template: 'This quiz is not running on the quizmaster\'s peer right now.',
  unavailable: 'The quiz is being updated. Try again in a moment.',
  busy: 'The quiz is busy. Try again in a moment.'
}

export function explain (err) {
  const code = err?.code
  if (code != null && PLAIN[code] != null) return PLAIN[code]
  const message = typeof err?.message === 'string' && err.message !== '' ? err.message : 'Something went wrong.'
  // The logic's messages start lower-case, as error messages do; on the page they start a sentence.
  return message.charAt(0).toUpperCase() + message.slice(1)
}
