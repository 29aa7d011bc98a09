import { OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ZodError, ZodType } from 'zod';
import type { AppEnv } from './env.ts';
import { requestHeader } from './node-request.ts';
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
async function validate(c: Context, target: 'query' | 'param' | 'json', schema: ZodType, value: unknown): Promise<void> {
  let result;
  try {
    result = schema.safeParse(value);
  } catch {
    result = await schema.safeParseAsync(value); // an asynchronous refinement somewhere in the schema
  }
  if (!result.success) throw invalidRequest(result.error, target);
  c.req.addValidatedData(target, result.data as object);
}

/** @hono/zod-openapi's tests of a Content-Type: a JSON request (the gate), a JSON type (an optional body), and Hono's validator's JSON media type. */
const JSON_REQUEST = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;
const JSON_TYPE = /^application\/([a-z-.]+\+)?json/i;
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/** A route's JSON body: its schema, and whether a body is required. */
interface JsonBody {
  readonly schema: ZodType;
  readonly required: boolean;
}

/**
 * The body of a route, checked as @hono/zod-openapi checks a body declared as JSON only: 415 for
 * another Content-Type or a body without one, then the schema (an optional body without a JSON
 * Content-Type is `{}`). The body was read and parsed by the guards (request-guards.ts), which
 * refused a non-empty body without a JSON Content-Type: `bodyText` is what they read.
 */
async function checkJsonBody(c: Context<AppEnv>, body: JsonBody): Promise<void> {
  const contentType = requestHeader(c, 'content-type');
  if (contentType) {
    if (!JSON_REQUEST.test(contentType)) throw new HTTPException(415, { message: 'Unsupported Media Type' });
  } else if ((c.get('bodyText') ?? '') !== '') {
    throw new HTTPException(415, { message: 'Unsupported Media Type' });
  }
  if (!body.required && !(contentType && JSON_TYPE.test(contentType))) return void c.req.addValidatedData('json', {});
  let value: unknown = {};
  if (JSON_MEDIA_TYPE.test(contentType ? contentType.split(';')[0]!.trim() : '')) {
    try {
      value = await c.req.json();
    } catch {
      throw new HTTPException(400, { message: 'Malformed JSON in request body' });
    }
  }
  await validate(c, 'json', body.schema, value);
}

/**
 * A route's query, path parameters and JSON body checked in one middleware, as
 * @hono/zod-openapi's validators check them (in this order, with the same schemas and the same
 * 400 and 415), without their links in the chain, each with its awaits, its `safeParseAsync`
 * (a transfer's body: 2.8 µs against 0.5) and its read of the headers through a web `Headers`.
 */
function requestChecks(query: ZodType | undefined, params: ZodType | undefined, body: JsonBody | undefined): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (query) await validate(c, 'query', query, queryOf(c));
    if (params) await validate(c, 'param', params, c.req.param());
    if (body) await checkJsonBody(c, body);
    await next();
  };
}

/** A body declared as JSON only, with a zod schema: checked by `requestChecks`; any other is left to @hono/zod-openapi. */
function jsonBodyOf(config: RouteConfig): JsonBody | undefined {
  const declared = config.request?.body;
  const content = declared?.content as Record<string, { schema?: unknown }> | undefined;
  if (!declared || !content || Object.keys(content).length !== 1) return undefined;
  const schema = content['application/json']?.schema as ZodType | undefined;
  return schema && typeof schema.safeParse === 'function' ? { schema, required: declared.required === true } : undefined;
}

/**
 * Routes whose `openapi()` checks the query, the path parameters and a JSON body in one
 * middleware (above); the route goes into the OpenAPI document as declared.
 */
export function routesApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const openapi = app.openapi as (...args: unknown[]) => unknown;
  const checked = (config: RouteConfig, handler: unknown, hook?: unknown) => {
    const body = jsonBodyOf(config);
    const { query, params, body: declaredBody, ...rest } = config.request ?? {};
    if ((query === undefined && params === undefined && body === undefined) || hook !== undefined) return openapi(config, handler, hook);
    const { middleware, hide, ...declared } = config;
    if (!hide) app.openAPIRegistry.registerPath(declared);
    const before = middleware === undefined ? [] : Array.isArray(middleware) ? middleware : [middleware];
    const request = body === undefined && declaredBody !== undefined ? { ...rest, body: declaredBody } : rest;
    const route = { ...declared, request, hide: true, middleware: [...before, requestChecks(query as ZodType | undefined, params as ZodType | undefined, body)] };
    return openapi(route, handler);
  };
  app.openapi = checked as unknown as typeof app.openapi;
  return app;
}
