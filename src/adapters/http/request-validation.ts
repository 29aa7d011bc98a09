import { OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { ZodError, ZodType } from 'zod';
import type { AppEnv } from './env.ts';
import { ProblemError } from './problem.ts';

/** zod's issues as `errors`; an unknown key is named at its own path: a field of the body, or a query parameter. */
function fieldErrors(error: ZodError, target: string) {
  const unknown = target === 'query' ? 'not a query parameter of this route' : 'not a field of this request: unknown fields are refused';
  return error.issues.flatMap((issue) => issue.code === 'unrecognized_keys'
    ? issue.keys.map((key) => ({ path: [...issue.path, key].map(String).join('.'), message: unknown }))
    : [{ path: issue.path.map(String).join('.') || '(body)', message: issue.message }]);
}

/** The 400 of a request part (`json`, `query`, `param`) its schema refused. */
export function invalidRequest(error: ZodError, target: string): ProblemError {
  const where = target === 'json' ? 'body' : target;
  return new ProblemError('VALIDATION_FAILED', `The request ${where} is not valid.`, fieldErrors(error, target));
}

/** The query as Hono's validator gives it to the schema: a name given once is a string, given more often an array. */
function queryOf(c: Context): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(c.req.queries())) query[name] = values.length === 1 ? values[0]! : values;
  return query;
}

/** Checks one part of the request with its schema, synchronously (a schema that needs await is awaited). */
async function validate(c: Context, target: 'query' | 'param', schema: ZodType, value: unknown): Promise<void> {
  let result;
  try {
    result = schema.safeParse(value);
  } catch {
    result = await schema.safeParseAsync(value); // an asynchronous refinement somewhere in the schema
  }
  if (!result.success) throw invalidRequest(result.error, target);
  c.req.addValidatedData(target, result.data as object);
}

/**
 * A route's query and path parameters checked in one middleware, as @hono/zod-openapi's
 * validators check them (the query first, the same schemas, the same 400), without their two
 * links in the chain, each with its awaits, its safeParseAsync and its read of the headers.
 */
function queryAndParams(query: ZodType | undefined, params: ZodType | undefined): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (query) await validate(c, 'query', query, queryOf(c));
    if (params) await validate(c, 'param', params, c.req.param());
    await next();
  };
}

/**
 * Routes whose `openapi()` checks the query and the path parameters in one middleware (above);
 * the route goes into the OpenAPI document as declared, and its body, if any, is checked by
 * @hono/zod-openapi as before.
 */
export function routesApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const openapi = app.openapi;
  const fast = (config: RouteConfig, handler: unknown, hook?: unknown) => {
    const { query, params, ...request } = config.request ?? {};
    if ((query === undefined && params === undefined) || hook !== undefined) return (openapi as (...args: unknown[]) => unknown)(config, handler, hook);
    const { middleware, hide, ...declared } = config;
    if (!hide) app.openAPIRegistry.registerPath(declared);
    const before = middleware === undefined ? [] : Array.isArray(middleware) ? middleware : [middleware];
    const route = { ...declared, request, hide: true, middleware: [...before, queryAndParams(query as ZodType | undefined, params as ZodType | undefined)] };
    return (openapi as (...args: unknown[]) => unknown)(route, handler);
  };
  app.openapi = fast as unknown as typeof app.openapi;
  return app;
}
