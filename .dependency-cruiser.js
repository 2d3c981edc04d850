/**
 * The layering of src/, checked by `npm run lint` (dependency-cruiser).
 *
 * Top to bottom; an import only ever points down this list (or stays in its
 * own layer):
 *
 *   module -> features -> delivery -> bus -> transports -> core -> protocol
 *
 * Beside them, the separate entry points: `worker` and `activity` sit just
 * above core (the upper layers may use them), `client` and `testing` are
 * leaves nothing in src/ imports. `src/index.ts` may import anything.
 * Unit specs (`*.spec.ts`) are test code and may reach across layers; they are
 * still part of the cycle check. ARCHITECTURE.md explains each layer.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const LAYERS = [
  'module',
  'features',
  'delivery',
  'bus',
  'transports',
  'core',
  'protocol',
];

const SPEC = '\\.spec\\.ts$';

/** No import from a layer to any layer above it. */
const layerRules = LAYERS.slice(1).map((layer, index) => ({
  name: `${layer}-not-up`,
  comment: `src/${layer} imports only layers below it (${LAYERS.slice(index + 2).join(', ') || 'none'}); never ${LAYERS.slice(0, index + 1).join(', ')}.`,
  severity: 'error',
  from: { path: `^src/${layer}/`, pathNot: SPEC },
  to: { path: `^src/(${LAYERS.slice(0, index + 1).join('|')})/` },
}));

/** An entry point may import only these, besides itself. */
function onlyImports(name, allowed, comment, extra = {}) {
  return {
    name: `${name}-imports-only`,
    comment,
    severity: 'error',
    from: { path: `^src/${name}/`, pathNot: SPEC },
    to: { pathNot: `^(${allowed.join('|')})`, ...extra },
  };
}

const NODE_BUILTIN = { dependencyTypesNot: ['core'] };

export default {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycle anywhere in src/.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment:
        'Every import resolves (otherwise the rules below would pass unseen).',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
    ...layerRules,
    onlyImports(
      'protocol',
      ['src/protocol/'],
      'src/protocol is the wire vocabulary: it imports nothing but itself.',
    ),
    onlyImports(
      'core',
      ['src/(core|protocol)/'],
      'src/core is framework-free: protocol and node builtins only.',
      NODE_BUILTIN,
    ),
    onlyImports(
      'client',
      ['src/(client|protocol)/', 'node_modules/socket\\.io-client/'],
      'src/client runs in browsers: protocol and socket.io-client only.',
    ),
    onlyImports(
      'worker',
      ['src/(worker|core|protocol)/'],
      'src/worker (nestjs-livebus/worker): core, protocol and node builtins only.',
      NODE_BUILTIN,
    ),
    onlyImports(
      'activity',
      ['src/(activity|worker|core|protocol)/'],
      'src/activity (nestjs-livebus/activity): worker, core, protocol and node builtins only.',
      NODE_BUILTIN,
    ),
    {
      name: 'testing-only-down',
      comment:
        'src/testing (nestjs-livebus/testing) may import transports, core and protocol from src/.',
      severity: 'error',
      from: { path: '^src/testing/', pathNot: SPEC },
      to: {
        path: '^src/',
        pathNot: '^src/(testing|transports|core|protocol)/',
      },
    },
    {
      name: 'client-and-testing-are-leaves',
      comment:
        'src/client and src/testing are separate entry points: nothing else in src/ imports them.',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot: ['^src/(client|testing)/', '^src/index\\.ts$', SPEC],
      },
      to: { path: '^src/(client|testing)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // The inspector's browser modules import what the page is served, not files.
    exclude: { path: '^src/features/inspector/public/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
