import type { ResolvedOriginsOptions } from '../../bus/access-options.js';
import { isSameOrigin, OriginPolicy } from './origin-policy.js';

const policy = (options: Partial<ResolvedOriginsOptions> = {}) =>
  new OriginPolicy({
    allow: [],
    sameOrigin: true,
    allowMissing: true,
    credentials: false,
    maxAgeSeconds: 600,
    ...options,
  });

describe('OriginPolicy', () => {
  it('by default admits no Origin and the same host, and refuses the rest', () => {
    const p = policy();
    expect(p.judge({ host: 'localhost:3000' })).toBe('no-origin');
    expect(
      p.judge({ origin: 'http://localhost:3000', host: 'localhost:3000' }),
    ).toBe('same-origin');
    expect(
      p.judge({ origin: 'http://localhost:3001', host: 'localhost:3000' }),
    ).toBe('refused');
    expect(p.judge({ origin: 'null', host: 'localhost:3000' })).toBe('refused');
  });

  it('admits listed origins and patterns, or any with *', () => {
    const p = policy({ allow: ['https://a.example', /\.b\.example$/] });
    expect(p.judge({ origin: 'https://a.example' })).toBe('cross-origin');
    expect(p.judge({ origin: 'https://x.b.example' })).toBe('cross-origin');
    expect(p.judge({ origin: 'https://a.example.evil' })).toBe('refused');
    expect(policy({ allow: '*' }).judge({ origin: 'https://z' })).toBe(
      'cross-origin',
    );
    expect(
      policy({ allow: (origin) => origin.endsWith('.test') }).judge({
        origin: 'http://x.test',
      }),
    ).toBe('cross-origin');
  });

  it('can refuse requests without an Origin, and ignore the same host', () => {
    expect(policy({ allowMissing: false }).judge({})).toBe('refused');
    expect(
      policy({ sameOrigin: false }).judge({
        origin: 'http://h:1',
        host: 'h:1',
      }),
    ).toBe('refused');
  });

  it('gives CORS headers, with the preflight ones and only safe requested headers', () => {
    const p = policy({ allow: '*', credentials: true });
    expect(p.corsHeaders({ origin: 'https://a' }, false)).toEqual({
      'Access-Control-Allow-Origin': 'https://a',
      Vary: 'Origin',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Expose-Headers':
        'Retry-After, X-Livebus-Seq, X-Livebus-Epoch',
    });
    expect(
      p.corsHeaders(
        {
          origin: 'https://a',
          'access-control-request-headers': 'authorization\r\nx: y',
        },
        true,
      )['Access-Control-Allow-Headers'],
    ).toBeUndefined();
  });

  it('compares the host with the default port left out', () => {
    expect(isSameOrigin('https://h.example', 'h.example')).toBe(true);
    expect(isSameOrigin('https://h.example:443', 'h.example')).toBe(true);
    expect(isSameOrigin('https://h.example', 'h.example:8443')).toBe(false);
    expect(isSameOrigin('not a url', 'h')).toBe(false);
  });
});
