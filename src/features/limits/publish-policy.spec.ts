import type { ResolvedPublishPolicy } from '../../bus/access-options.js';
import { matchesRule, PublishPolicy } from './publish-policy.js';

const policy = (options: Partial<ResolvedPublishPolicy> = {}): PublishPolicy =>
  new PublishPolicy({
    source: 'ingest',
    types: '*',
    reserved: [],
    maxTypes: 3,
    validate: null,
    eventsPerSecond: Infinity,
    ...options,
  });

describe('PublishPolicy', () => {
  it('matches exact names, prefixes and patterns', () => {
    expect(matchesRule('sensor.temp', 'sensor.*')).toBe(true);
    expect(matchesRule('sensorX', 'sensor.*')).toBe(false);
    expect(matchesRule('job:12', /^job:\d+$/)).toBe(true);
    expect(matchesRule('prediction', 'prediction')).toBe(true);
    expect(matchesRule('predictions', 'prediction')).toBe(false);
  });

  it('refuses a type outside its list, naming the option', () => {
    const p = policy({ types: ['a', 'b.*'] });
    expect(p.admitOne({ type: 'b.x' })).toBeNull();
    expect(p.admitOne({ type: 'c' })).toEqual({
      code: 'type_not_allowed',
      message: '"c" is not a type ingest may publish (option ingest.types)',
    });
  });

  it("keeps a '*' source off the types others declared", () => {
    const p = policy({ reserved: ['status', 'monitor'] });
    expect(p.admitOne({ type: 'status' })?.code).toBe('type_not_allowed');
    expect(p.admitOne({ type: 'prediction' })).toBeNull();
  });

  it('counts distinct types all or nothing, and the known ones stay writable', () => {
    const p = policy();
    expect(
      p.admitAll([{ type: 'a' }, { type: 'b' }, { type: 'a' }]),
    ).toBeNull();
    const refused = p.admitAll([{ type: 'c' }, { type: 'd' }]);
    expect(refused?.index).toBe(1);
    expect(refused?.refusal.code).toBe('type_limit_reached');
    // Nothing of the refused request was remembered.
    expect(p.stats().types).toBe(2);
    expect(p.admitOne({ type: 'c' })).toBeNull();
    expect(p.admitOne({ type: 'a' })).toBeNull();
    expect(p.admitOne({ type: 'e' })?.code).toBe('type_limit_reached');
    expect(p.stats()).toEqual({
      typeNotAllowed: 0,
      typeLimitReached: 2,
      invalid: 0,
      types: 3,
    });
  });

  it('asks validate; false, a reason or a throw refuses', () => {
    const p = policy({
      validate: (event) =>
        event.ok === true ||
        (event.ok === 'throw' ? boom() : event.ok === false ? false : 'bad ok'),
    });
    expect(p.admitOne({ type: 'a', ok: true })).toBeNull();
    expect(p.admitOne({ type: 'a', ok: false })?.message).toBe(
      'refused by ingest.validate: refused',
    );
    expect(p.admitOne({ type: 'a', ok: 1 })?.message).toBe(
      'refused by ingest.validate: bad ok',
    );
    expect(p.admitOne({ type: 'a', ok: 'throw' })?.message).toMatch(
      /validate hook threw: boom/,
    );
  });

  it('leaves events without a valid type to the bus', () => {
    const p = policy({ types: ['a'] });
    expect(p.admitAll([{ nope: 1 }, 'x', { type: 'bad type' }])).toBeNull();
  });
});

function boom(): never {
  throw new Error('boom');
}
