const { shout } = require('../shout');

describe.each([['hi'], ['yo']])('shout(%s)', (word) => {
  it('ends with an exclamation mark', () => {
    expect(shout(word).endsWith('!')).toBe(true);
  });

  it('is upper case', () => {
    expect(shout(word)).toBe(`${word.toUpperCase()}!`);
  });
});
