/** A scrape in the Prometheus text format, parsed: one value per series. */
export interface Scrape {
  /** The value of `name` with exactly `labels`, or `undefined` when absent. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** The `# TYPE` of a metric family. */
  type(name: string): string | undefined;
  /** Every series' name. */
  readonly names: Set<string>;
  readonly text: string;
}

const LINE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g;

function key(name: string, labels: Record<string, string>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((label) => `${label}=${JSON.stringify(labels[label])}`);
  return `${name}{${sorted.join(',')}}`;
}

/** Parses what `GET /metrics` answered (no exemplars, no timestamps). */
export function parseScrape(text: string): Scrape {
  const values = new Map<string, number>();
  const types = new Map<string, string>();
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name, type);
      continue;
    }
    if (!line || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, label, value] of (match[2] ?? '').matchAll(LABEL)) {
      labels[label] = value;
    }
    names.add(match[1]);
    values.set(key(match[1], labels), Number(match[3]));
  }
  return {
    value: (name, labels = {}) => values.get(key(name, labels)),
    type: (name) => types.get(name),
    names,
    text,
  };
}

/** `GET <url>` and parse it. */
export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url);
  if (response.status !== 200) {
    throw new Error(`GET ${url} answered ${response.status}`);
  }
  return parseScrape(await response.text());
}
