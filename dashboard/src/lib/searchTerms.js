// A Shopware website's search terms as the form edits them: a list of
// tags, added from what is typed (a comma or a line ends a term), each
// once, as the API takes them (api_websites.c: at most 50, each 1 to
// 100 bytes, no control character).  Pure, for the tests.

export const MAX_TERMS = 50
export const MAX_TERM_BYTES = 100

const CONTROL = /[\u0000-\u001f\u007f]/

// What is wrong with a term, or null.
export function termProblem(t) {
  if (CONTROL.test(t)) return `"${t}" holds a control character`
  if (new TextEncoder().encode(t).length > MAX_TERM_BYTES)
    return `"${t.slice(0, 20)}…" is longer than ${MAX_TERM_BYTES} bytes`
  return null
}

// The list with what was typed added: { terms, problem }.  A term
// already there (whatever its case) is not added again; a term refused
// leaves the list as it was and says why.
export function addTerms(terms, text) {
  const out = [...terms]
  for (const raw of String(text).split(/[,\n]/)) {
    const t = raw.replace(/\s+/g, ' ').trim()
    if (!t) continue
    const p = termProblem(t)
    if (p) return { terms, problem: p }
    if (out.some((x) => x.toLowerCase() === t.toLowerCase())) continue
    if (out.length >= MAX_TERMS)
      return { terms, problem: `at most ${MAX_TERMS} search terms` }
    out.push(t)
  }
  return { terms: out, problem: null }
}

export function removeTerm(terms, i) {
  return terms.filter((_, j) => j !== i)
}
