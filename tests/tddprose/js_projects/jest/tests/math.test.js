const { add, divide } = require('../src/math');

describe('add', () => {
  // @tdd-prose:behavior math.add.sums_two_numbers
  it('sums two numbers', () => {
    expect(add(1, 2)).toBe(3);
  });

  it.each([
    [1, 1, 2],
    [2, 3, 5],
  ])('add(%i, %i) is %i', (a, b, expected) => {
    expect(add(a, b)).toBe(expected);
  });

  test.each([
    { a: 1, b: 2, sum: 3 },
    { a: 'x', b: 'y', sum: 'xy' },
  ])('adds $a and $b', ({ a, b, sum }) => {
    expect(add(a, b)).toBe(sum);
  });

  test.each(['a', 'b'])('keeps %p as a string', (text) => {
    expect(add(text, '')).toBe(text);
  });

  it.skip('adds big integers', () => {
    expect(add(1, 2)).toBe(3);
  });

  it.todo('adds three numbers');
});

describe('divide', () => {
  describe('by zero', () => {
    test('throws', () => {
      // @tdd-prose:behavior math.divide.rejects_zero
      expect(() => divide(1, 0)).toThrow('division by zero');
    });
  });

  test.each`
    a    | b    | expected
    ${6} | ${3} | ${2}
    ${1} | ${4} | ${0.25}
  `('$a / $b = $expected', ({ a, b, expected }) => {
    expect(divide(a, b)).toBe(expected);
  });

  xit('rounds to cents', () => {
    expect(divide(1, 3)).toBe(0.33);
  });
});
