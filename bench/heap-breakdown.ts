/**
 * What an idle connection keeps on the heap, ours against plain Socket.IO:
 * each server (server.ts) takes a heap snapshot before and after N idle
 * clients connect (ours: hydrated), and the objects that came with them
 * are added up by constructor (closures by name and source line), per
 * connection, ours minus plain. Not part of `run.ts`: a tool for the idle
 * row (issue 13), run on its own after `npm run build`:
 *
 *   node --expose-gc dist/bench/heap-breakdown.js [connections=2000] [rows=40]
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Peer } from './ipc.js';
import { startServer, type Kind } from './processes.js';
import type { ConnectClientCommand } from './connect-client.js';
import { sleep } from './settings.js';

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[]];
      edge_fields: string[];
      edge_types: [string[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
  locations: number[];
}

interface Tally {
  count: number;
  bytes: number;
}

/** Self size and count by kind of object: constructor, closure, string... */
function tally(path: string, byRetainer: boolean): Map<string, Tally> {
  const heap = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const { meta } = heap.snapshot;
  const nodeWidth = meta.node_fields.length;
  const edgeWidth = meta.edge_fields.length;
  const [typeAt, nameAt, sizeAt, edgeCountAt] = [
    'type',
    'name',
    'self_size',
    'edge_count',
  ].map((f) => meta.node_fields.indexOf(f));
  const [edgeTypeAt, edgeNameAt, toAt] = [
    'type',
    'name_or_index',
    'to_node',
  ].map((f) => meta.edge_fields.indexOf(f));
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const { nodes, edges, strings } = heap;
  const count = nodes.length / nodeWidth;
  const firstEdge = new Uint32Array(count + 1);
  for (let i = 0; i < count; i++) {
    firstEdge[i + 1] =
      firstEdge[i] + nodes[i * nodeWidth + edgeCountAt] * edgeWidth;
  }
  /** The node that `node`'s named edge (property or internal) points at. */
  const follow = (node: number, name: string): number => {
    for (let e = firstEdge[node]; e < firstEdge[node + 1]; e += edgeWidth) {
      const kind = edgeTypes[edges[e + edgeTypeAt]];
      if (kind === 'element' || kind === 'hidden') continue;
      if (strings[edges[e + edgeNameAt]] === name)
        return edges[e + toAt] / nodeWidth;
    }
    return -1;
  };
  const nameOf = (node: number) => strings[nodes[node * nodeWidth + nameAt]];
  // Where each closure was written: [node offset, script id, line, column].
  const lines = new Map<number, number>();
  for (let i = 0; i < heap.locations.length; i += 4) {
    lines.set(heap.locations[i] / nodeWidth, heap.locations[i + 2] + 1);
  }
  const closureKey = (node: number): string => {
    const shared = follow(node, 'shared');
    const script = shared < 0 ? -1 : follow(shared, 'script_or_debug_info');
    const file =
      script < 0
        ? '?'
        : nameOf(script).replace(/^.*\/(dist|node_modules)\//, '');
    return `${nameOf(node) || '(anonymous)'}() ${file}:${lines.get(node) ?? '?'}`;
  };
  // With `byRetainer`: the small objects a connection holds, told apart
  // by what holds them (the first strong reference to each).
  const retainedBy = new Int32Array(byRetainer ? count : 0).fill(-1);
  const retainedAs = new Int32Array(byRetainer ? count : 0);
  for (let from = 0; byRetainer && from < count; from++) {
    for (let e = firstEdge[from]; e < firstEdge[from + 1]; e += edgeWidth) {
      const kind = edgeTypes[edges[e + edgeTypeAt]];
      if (kind === 'weak' || kind === 'shortcut') continue;
      const to = edges[e + toAt] / nodeWidth;
      if (retainedBy[to] !== -1) continue;
      retainedBy[to] = from;
      retainedAs[to] =
        kind === 'element' || kind === 'hidden' ? -1 : edges[e + edgeNameAt];
    }
  }
  const holderOf = (node: number, depth = 0): string => {
    const from = retainedBy[node];
    if (from < 0) return '';
    const type = nodeTypes[nodes[from * nodeWidth + typeAt]];
    const holder = type === 'closure' ? closureKey(from) : nameOf(from);
    const edge = retainedAs[node] < 0 ? '[]' : `.${strings[retainedAs[node]]}`;
    // A backing store says little: say what holds its array or object too.
    const plain = type === 'array' || holder === 'Array' || holder === 'Object';
    return ` <- ${holder}${edge}${plain && depth < 3 ? holderOf(from, depth + 1) : ''}`;
  };
  const out = new Map<string, Tally>();
  for (let i = 0; i < count; i++) {
    const base = i * nodeWidth;
    const type = nodeTypes[nodes[base + typeAt]];
    const name = strings[nodes[base + nameAt]];
    let key: string;
    if (type === 'object' || type === 'native') key = name;
    else if (type === 'closure') key = `closure ${closureKey(i)}`;
    else if (type.endsWith('string')) key = '(strings)';
    else if (type === 'code')
      key = `(code) ${name.startsWith('system /') ? name : ''}`;
    else key = `(${type}) ${name}`;
    if (byRetainer && !type.endsWith('string')) key += holderOf(i);
    const entry = out.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += nodes[base + sizeAt];
    out.set(key, entry);
  }
  return out;
}

function minus(
  a: Map<string, Tally>,
  b: Map<string, Tally>,
): Map<string, Tally> {
  const out = new Map<string, Tally>();
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key) ?? { count: 0, bytes: 0 };
    const y = b.get(key) ?? { count: 0, bytes: 0 };
    out.set(key, { count: x.count - y.count, bytes: x.bytes - y.bytes });
  }
  return out;
}

const total = (m: Map<string, Tally>) =>
  [...m.values()].reduce((n, t) => n + t.bytes, 0);

async function perConnection(
  kind: Kind,
  loads: Peer[],
  connections: number,
): Promise<Map<string, Tally>> {
  const { peer, port } = await startServer({ kind }, `${kind} server`);
  const paths = ['before', 'after'].map((when) =>
    join(tmpdir(), `livebus-heap-${kind}-${when}-${process.pid}.heapsnapshot`),
  );
  try {
    await peer.call({ cmd: 'heap-snapshot', path: paths[0] }, 120_000);
    await Promise.all(
      loads.map((c, i) =>
        c.call(
          {
            cmd: 'connect',
            port,
            count:
              Math.floor(connections / loads.length) +
              (i < connections % loads.length ? 1 : 0),
            hydrate: kind === 'ours',
          } satisfies ConnectClientCommand,
          120_000,
        ),
      ),
    );
    await sleep(200);
    await peer.call({ cmd: 'heap-snapshot', path: paths[1] }, 120_000);
    await Promise.all(loads.map((c) => c.call({ cmd: 'close' }, 120_000)));
    const grown = minus(
      tally(paths[1], byRetainer),
      tally(paths[0], byRetainer),
    );
    for (const t of grown.values()) {
      t.count /= connections;
      t.bytes /= connections;
    }
    return grown;
  } finally {
    for (const path of paths) rmSync(path, { force: true });
    await peer.stop();
  }
}

const print = (line: string) => process.stdout.write(`${line}\n`);
const connections = Number(process.argv[2] ?? 2000);
const rows = Number(process.argv[3] ?? 40);
const byRetainer = process.argv.includes('--by-retainer');
const loads = [0, 1].map((i) =>
  Peer.fork(`connect client ${i + 1}`, './connect-client.js'),
);
try {
  const ours = await perConnection('ours', loads, connections);
  const plain = await perConnection('plain', loads, connections);
  const extra = minus(ours, plain);
  const line = (key: string, t: Tally) =>
    `${t.bytes.toFixed(0).padStart(7)} B ${t.count.toFixed(2).padStart(7)}  ${key}`;
  print(
    `${connections} idle connections, self size per connection (after a full GC):`,
  );
  print(
    `ours ${total(ours).toFixed(0)} B, plain ${total(plain).toFixed(0)} B, ours - plain ${total(extra).toFixed(0)} B`,
  );
  print('\nours - plain, by kind (bytes, count per connection):');
  const sorted = [...extra.entries()].sort(
    (a, b) => Math.abs(b[1].bytes) - Math.abs(a[1].bytes),
  );
  for (const [key, t] of sorted.slice(0, rows)) print(line(key, t));
  print('\nours, by kind:');
  const oursSorted = [...ours.entries()].sort(
    (a, b) => b[1].bytes - a[1].bytes,
  );
  for (const [key, t] of oursSorted.slice(0, rows)) print(line(key, t));
} finally {
  await Promise.all(loads.map((c) => c.stop()));
}
