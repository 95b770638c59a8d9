/**
 * A stream of JSON values one after another, as `pachctl create pipeline -f` reads specs and as
 * `pachctl ... --raw` prints messages (indented, with nothing between them): each top-level
 * object or array, arrays flattened into their items.
 */
export function parseJsonStream(text: string, onError: (message: string) => never): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth++ === 0) start = i;
    } else if (c === '}' || c === ']') {
      if (--depth === 0) {
        try {
          values.push(JSON.parse(text.slice(start, i + 1)));
        } catch (e) {
          onError(`invalid JSON: ${(e as Error).message}`);
        }
      }
    } else if (depth === 0 && !/\s/.test(c)) {
      onError(`invalid JSON: unexpected "${c}" between documents`);
    }
  }
  if (depth !== 0 || inString) onError('invalid JSON: the last document is not closed');
  return values.flat();
}
