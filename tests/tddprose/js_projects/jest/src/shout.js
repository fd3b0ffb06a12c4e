function shout(word) {
  return `${word.toUpperCase()}!`;
}

module.exports = { shout };
