// A list the API gives a page at a time, each answer saying where the
// next page starts (a job list's next_before, a results page's
// next_cursor): where this page starts, where the next one does, and
// the starts of the pages before, to go back.  read(start) reads the
// page at start (null: the first) and sets next from its answer.
import { ref } from 'vue'

export function usePager(read) {
  const back = ref([]) // the starts of the pages before this one
  const cur = ref(null) // this page's start; null: the first page
  const next = ref(null) // the next page's, as the API said; null: none
  return {
    back, cur, next,
    first() {
      back.value = []
      cur.value = null
      return read(null)
    },
    nextPage() {
      back.value.push(cur.value)
      cur.value = next.value
      return read(cur.value)
    },
    prevPage() {
      cur.value = back.value.pop() ?? null
      return read(cur.value)
    },
  }
}
