import {
  eventTypeProblem,
  isEventType,
  quotePrefix,
} from '../../protocol/event-types.js';
import { idempotencyIdProblem } from '../../protocol/idempotency.js';
import {
  isWorkerProtocolMessage,
  type EncodedEvent,
} from '../../protocol/worker-messages.js';

/** The bounds a worker's messages are checked against. */
export interface WorkerMessageLimits {
  /** The bus's `maxEventBytes`. */
  readonly maxEventBytes: number;
  /** Most events in one batch: what the parent told the worker helper. */
  readonly maxBatch: number;
}

/** Deepest nesting of arrays and objects in an event (the codec's rule). */
const MAX_JSON_DEPTH = 64;
/** Longest worker log line kept, in characters. */
const MAX_LOG_LENGTH = 1000;

/** A checked event of a batch, with its idempotency id when it has one. */
export type CheckedEvent = EncodedEvent & { readonly id?: string };

/** A batch whose fields were checked: each event, or why it is refused. */
export interface CheckedBatch {
  readonly events: readonly (CheckedEvent | string)[];
  readonly dropped: number;
}

/** What a worker's message turned out to be, every field checked. */
export type CheckedWorkerMessage =
  | { readonly kind: 'event'; readonly event: unknown }
  | { readonly kind: 'livebus:ready' }
  | { readonly kind: 'livebus:heartbeat' }
  | ({ readonly kind: 'livebus:batch' } & CheckedBatch)
  | {
      readonly kind: 'livebus:log';
      readonly level: 'warn' | 'info';
      /** Cut to 1,000 characters, control characters replaced. */
      readonly message: string;
    }
  /** A protocol message refused whole; `batch` when it claimed to be one. */
  | { readonly kind: 'malformed'; readonly problem: string; batch: boolean };

/**
 * Classifies and checks one message from a worker. A message with its own
 * `type` is an event (checked by the bus when it is published); one without
 * a `type` whose `kind` starts with `livebus:` is a protocol message, and
 * every field of it is checked here: nothing a worker sends is trusted.
 */
export function checkWorkerMessage(
  message: unknown,
  limits: WorkerMessageLimits,
): CheckedWorkerMessage {
  if (!isWorkerProtocolMessage(message))
    return { kind: 'event', event: message };
  const fields = message as Record<string, unknown>;
  switch (message.kind) {
    case 'livebus:ready':
    case 'livebus:heartbeat':
      return { kind: message.kind };
    case 'livebus:batch':
      return checkBatch(fields, limits);
    case 'livebus:log':
      return checkLog(fields);
    default:
      return malformed(`unknown kind ${quotePrefix(message.kind)}`);
  }
}

function checkBatch(
  fields: Record<string, unknown>,
  limits: WorkerMessageLimits,
): CheckedWorkerMessage {
  const { events, dropped, ids } = fields;
  if (!Array.isArray(events)) {
    return malformed('batch: events must be an array', true);
  }
  if (events.length > limits.maxBatch) {
    return malformed(
      `batch: at most ${limits.maxBatch} events, got ${events.length}`,
      true,
    );
  }
  if (
    typeof dropped !== 'number' ||
    !Number.isSafeInteger(dropped) ||
    dropped < 0
  ) {
    return malformed(
      `batch: dropped must be a non-negative integer, got ${typeof dropped === 'string' ? quotePrefix(dropped) : String(dropped)}`,
      true,
    );
  }
  if (
    ids !== undefined &&
    (!Array.isArray(ids) || ids.length !== events.length)
  ) {
    return malformed(
      'batch: ids must be an array with one entry (an id or null) per event',
      true,
    );
  }
  const checked: (CheckedEvent | string)[] = [];
  for (let i = 0; i < events.length; i++) {
    const problem = encodedEventProblem(events[i], limits.maxEventBytes);
    const id: unknown = ids === undefined ? null : ids[i];
    const idProblem = id === null ? null : idempotencyIdProblem(id);
    if (typeof problem === 'string') checked.push(`events[${i}]: ${problem}`);
    else if (idProblem) checked.push(`ids[${i}]: ${idProblem}`);
    else checked.push(id === null ? problem : { ...problem, id: id as string });
  }
  return { kind: 'livebus:batch', events: checked, dropped };
}

function checkLog(fields: Record<string, unknown>): CheckedWorkerMessage {
  const { level, message } = fields;
  if (level !== 'warn' && level !== 'info') {
    return malformed('log: level must be "warn" or "info"');
  }
  if (typeof message !== 'string') {
    return malformed('log: message must be a string');
  }
  return { kind: 'livebus:log', level, message: cleanLogLine(message) };
}

/**
 * Re-verifies an event the worker helper encoded, as if it came from
 * anywhere: the type rule, the size, and the JSON itself (parsed: a plain
 * object whose `type` is the given type, nested at most 64 deep). JSON with
 * a raw CR or LF (whitespace between tokens) is re-encoded, so that no line
 * break reaches a wire. Returns the event to publish, or the problem.
 */
export function encodedEventProblem(
  value: unknown,
  maxEventBytes: number,
): EncodedEvent | string {
  if (typeof value !== 'object' || value === null) {
    return 'must be { type, json }';
  }
  const { type, json } = value as { type?: unknown; json?: unknown };
  if (!isEventType(type)) return `type ${eventTypeProblem(type)}`;
  if (typeof json !== 'string') return 'json must be a string';
  // UTF-8 never takes more than 3 bytes per UTF-16 unit.
  if (json.length * 3 > maxEventBytes) {
    const bytes = Buffer.byteLength(json);
    if (bytes > maxEventBytes) {
      return `json is ${bytes} bytes, over maxEventBytes (${maxEventBytes})`;
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return `json is not valid JSON: ${quotePrefix(json)}`;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return 'json must encode a JSON object';
  }
  if ((parsed as { type?: unknown }).type !== type) {
    return `json's type is not ${quotePrefix(type)}`;
  }
  if (nestsDeeperThan(json, MAX_JSON_DEPTH)) {
    return `json nests deeper than ${MAX_JSON_DEPTH} levels`;
  }
  return {
    type,
    json: /[\r\n]/.test(json) ? JSON.stringify(parsed) : json,
  };
}

/** Whether valid JSON text nests arrays and objects deeper than `max`. */
function nestsDeeperThan(json: string, max: number): boolean {
  // Each level takes two characters at least.
  if (json.length <= 2 * max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

/** A worker's log line as one safe line: cut, control characters replaced. */
export function cleanLogLine(text: string): string {
  const cut =
    text.length > MAX_LOG_LENGTH
      ? `${text.slice(0, MAX_LOG_LENGTH)}… (${text.length} characters)`
      : text;
  // eslint-disable-next-line no-control-regex
  return cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
}

function malformed(problem: string, batch = false): CheckedWorkerMessage {
  return { kind: 'malformed', problem, batch };
}
