// Search without a search engine. Firestore has no full-text search, so each searchable document
// stores `search_tokens`: every prefix (2..32 characters) of each word of its free text, and of each
// run of words of its identifying phrases joined by `_` (so `sq0010_sh0020` and `sh0020_comp` match
// `ep00_sq0010_sh0020_comp`). A search is one `array-contains` on the normalised query.

export const MIN_TOKEN = 2;
export const MAX_TOKEN = 32;
const MAX_WORDS = 50;
const MAX_PHRASE_WORDS = 8;

function wordsOf(text: unknown): string[] {
  return (typeof text === 'string' ? text : '').toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

function addPrefixes(into: Set<string>, s: string) {
  for (let n = MIN_TOKEN; n <= Math.min(s.length, MAX_TOKEN); n++) into.add(s.slice(0, n));
}

/** The tokens to store: `phrases` (ids, names) match by any run of their words, `words` (free text) word by word. */
export function searchTokensOf(text: { phrases: (string | undefined)[]; words: (string | undefined)[] }): string[] {
  const tokens = new Set<string>();
  for (const phrase of text.phrases) {
    const words = wordsOf(phrase).slice(0, MAX_PHRASE_WORDS);
    for (let i = 0; i < words.length; i++) addPrefixes(tokens, words.slice(i).join('_'));
  }
  for (const w of [...new Set(text.words.flatMap(wordsOf))].slice(0, MAX_WORDS)) addPrefixes(tokens, w);
  return [...tokens].sort();
}

/** The token a search query is looked up by: lower-cased, words joined by `_`, at most 32 characters. */
export function searchKey(query: string): string {
  return wordsOf(query).join('_').slice(0, MAX_TOKEN);
}
