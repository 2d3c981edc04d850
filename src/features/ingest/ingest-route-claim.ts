import type { HttpAdapterHost } from '@nestjs/core';

/**
 * @internal Metadata on the ingest handler. Nest copies a handler's
 * metadata onto the function it registers with Express, so the ingest
 * route is found by it, whatever global prefix or version shapes its path.
 */
export const INGEST_ROUTE = 'livebus:ingest-route';

/** Set on a request to the ingest route before any body parser runs. */
const CLAIMED = Symbol('livebus.ingest.claimed');
/** Marks a parser {@link claimIngestRoutes} wrapped, so it is wrapped once. */
const OURS = Symbol('livebus.ingest.ours');
/** The paths each router has a claim layer for (several modules may ask). */
const claimedPaths = new WeakMap<ExpressRouter, Set<unknown>>();

/** The body parsers Express (body-parser) registers, by function name. */
const BODY_PARSERS = new Set([
  'jsonParser',
  'urlencodedParser',
  'rawParser',
  'textParser',
]);

type Handler = ((req: object, res: unknown, next: () => void) => unknown) & {
  [OURS]?: true;
};

/** What this file touches of Express 5's router (the `router` package). */
interface RouterLayer {
  handle: Handler;
  route?: {
    path: unknown;
    methods: Record<string, boolean | undefined>;
    stack: { handle: unknown }[];
  };
}
interface ExpressRouter {
  stack: RouterLayer[];
  route(path: unknown): { post(handler: Handler): unknown };
}

/** Whether the request is the ingest route's, with its body left unread. */
export function isClaimed(req: object): boolean {
  return (req as { [CLAIMED]?: true })[CLAIMED] === true;
}

/**
 * Keeps the app's body parsers off the ingest route, so that the route
 * reads its body itself, counting the bytes it reads against
 * `maxRequestBytes` (a parser registered by Nest, or by the app with
 * `useBodyParser`, reads with its own limit and cannot tell a chunked
 * body's size afterwards).
 *
 * Nest registers its parsers before any module's middleware or route, so
 * this runs after the routes are in (`onModuleInit`): it puts a layer
 * first in the router that marks POSTs to the ingest route, and wraps each
 * body parser to pass marked requests on untouched. Express only; another
 * adapter leaves the route with what its parser read. Returns whether the
 * ingest route was found.
 */
export function claimIngestRoutes(
  adapterHost: HttpAdapterHost | undefined,
): boolean {
  const adapter = adapterHost?.httpAdapter as
    | { getType(): string; getInstance(): { router?: ExpressRouter } }
    | undefined;
  if (adapter?.getType() !== 'express') return false;
  const router = adapter.getInstance().router;
  if (!router || !Array.isArray(router.stack)) return false;
  const paths = router.stack
    .filter(
      (layer) =>
        layer.route?.methods.post &&
        layer.route.stack.some(
          (step) =>
            typeof step.handle === 'function' &&
            Reflect.getMetadata(INGEST_ROUTE, step.handle) === true,
        ),
    )
    .map((layer) => layer.route!.path);
  if (paths.length === 0) return false;
  const claimed = claimedPaths.get(router) ?? new Set();
  claimedPaths.set(router, claimed);
  for (const path of paths) {
    if (claimed.has(path)) continue;
    claimed.add(path);
    claimFirst(router, path);
  }
  for (const layer of router.stack) {
    if (BODY_PARSERS.has(layer.handle.name) && !layer.handle[OURS]) {
      layer.handle = unlessClaimed(layer.handle);
    }
  }
  return true;
}

/** Adds a layer, first in the router, that marks POSTs to `path`. */
function claimFirst(router: ExpressRouter, path: unknown): void {
  const claim: Handler = (req, _res, next) => {
    (req as { [CLAIMED]?: true })[CLAIMED] = true;
    next();
  };
  router.route(path).post(claim);
  // router.route() appended a layer of its own; it goes first.
  router.stack.unshift(router.stack.pop()!);
}

/** `parser`, except for a claimed request, which it passes on unread. */
function unlessClaimed(parser: Handler): Handler {
  const wrapped: Handler = (req, res, next) =>
    isClaimed(req) ? next() : parser(req, res, next);
  // Nest looks parsers up by name (isMiddlewareApplied).
  Object.defineProperty(wrapped, 'name', { value: parser.name });
  wrapped[OURS] = true;
  return wrapped;
}
