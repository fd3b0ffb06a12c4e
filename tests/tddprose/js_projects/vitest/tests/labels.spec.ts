import { describe, expect, it } from 'vitest';

describe.each(['hi', 'yo'])('label %s', (word: string) => {
  it('is not empty', () => {
    expect(word.length).toBeGreaterThan(0);
  });
});

it.each(['a', 'b'])('case %# is %s', (letter: string) => {
  expect(letter).toMatch(/^[ab]$/);
});
