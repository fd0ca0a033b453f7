import { describe, it, expect } from 'vitest'
import { mount } from '@vue/test-utils'
import { addTerms, removeTerm, termProblem, MAX_TERMS } from '../../src/lib/searchTerms.js'
import TagInput from '../../src/components/TagInput.vue'

describe('search terms as tags', () => {
  it('adds what is typed, split at commas and lines, each once', () => {
    expect(addTerms([], ' red  shoes , boots\nBoots,,')).toEqual({ terms: ['red shoes', 'boots'], problem: null })
    expect(addTerms(['boots'], 'BOOTS')).toEqual({ terms: ['boots'], problem: null })
    expect(removeTerm(['a', 'b', 'c'], 1)).toEqual(['a', 'c'])
  })

  it('refuses what the API would, and keeps the list as it was', () => {
    expect(addTerms(['a'], 'b,c\u0007d')).toEqual({ terms: ['a'], problem: '"c\u0007d" holds a control character' })
    expect(termProblem('x'.repeat(100))).toBeNull()
    expect(termProblem('x'.repeat(101))).toMatch(/longer than 100 bytes/)
    expect(termProblem('é'.repeat(51))).toMatch(/longer than 100 bytes/)
    const full = Array.from({ length: MAX_TERMS }, (_, i) => 't' + i)
    expect(addTerms(full, 'one more')).toEqual({ terms: full, problem: 'at most 50 search terms' })
  })

  it('is edited by keyboard: Enter adds, Backspace takes the last back', async () => {
    const w = mount(TagInput, { props: { modelValue: ['boots'], label: 'Search terms', name: 'st',
      'onUpdate:modelValue': (v) => w.setProps({ modelValue: v }) } })
    const input = w.find('input')
    expect(w.find('label').attributes('for')).toBe(input.attributes('id'))
    await input.setValue('red shoes')
    await input.trigger('keydown', { key: 'Enter' })
    expect(w.props('modelValue')).toEqual(['boots', 'red shoes'])
    expect(input.element.value).toBe('')
    await input.trigger('keydown', { key: 'Backspace' })
    expect(w.props('modelValue')).toEqual(['boots'])
    expect(input.element.value).toBe('red shoes')
    await input.setValue('a,b')
    expect(w.props('modelValue')).toEqual(['boots', 'a', 'b'])
    await w.find('button[aria-label="Remove boots"]').trigger('click')
    expect(w.props('modelValue')).toEqual(['a', 'b'])
    await input.setValue('bad\u0001')
    await input.trigger('keydown', { key: 'Enter' })
    expect(input.attributes('aria-invalid')).toBe('true')
    expect(w.find('.field-error').text()).toMatch(/control character/)
  })
})
