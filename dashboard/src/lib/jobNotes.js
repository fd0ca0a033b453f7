// A job's notes as the page lists them.  A worker writes them as one
// text, its parts separated by "; ": what it read (a sitemap, a crawl
// and its limits), what it left out and why, and for a crawl why it
// ended ("it ended: the page limit was reached").  Pure, for the tests.

export function noteItems(notes) {
  if (!notes) return []
  return notes.split(/;\s+/).map((s) => s.trim()).filter(Boolean)
}

// Why a crawl stopped, as its notes say; null when they do not.
export function crawlEnd(notes) {
  const item = noteItems(notes).find((s) => s.startsWith('it ended: '))
  return item ? item.slice('it ended: '.length) : null
}

// The other parts, in their order.
export function noteLines(notes) {
  return noteItems(notes).filter((s) => !s.startsWith('it ended: '))
}
