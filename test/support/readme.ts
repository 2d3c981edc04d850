import { readFileSync } from 'node:fs';

const README = new URL('../../README.md', import.meta.url);

/**
 * The README's tested snippets: each fenced block right after a
 * `<!-- readme-test: NAME -->` line, by NAME (a file path such as
 * `src/app.module.ts`, or a label such as `install`). The consumer tests
 * build and run them, so the README cannot drift from what works.
 */
export function readmeSnippets(): Map<string, string> {
  const text = readFileSync(README, 'utf8');
  const snippets = new Map<string, string>();
  const pattern =
    /<!-- readme-test: ([\w./-]+) -->\s*\n```[\w-]*\n([\s\S]*?)\n```/g;
  for (const [, name, body] of text.matchAll(pattern)) {
    if (snippets.has(name))
      throw new Error(`README: two snippets named ${name}`);
    snippets.set(name, body + '\n');
  }
  return snippets;
}

/** The snippet `name`; throws when the README lost it. */
export function snippet(snippets: Map<string, string>, name: string): string {
  const body = snippets.get(name);
  if (body === undefined) {
    throw new Error(`README: no snippet marked <!-- readme-test: ${name} -->`);
  }
  return body;
}
