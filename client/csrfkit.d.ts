// Hand-written types for csrfkit.js (the csrfkit browser client).

/** Failure codes sent by the csrfkit server in `X-CSRF-Reason` and `{"error":"csrf","reason":...}`. */
export type CsrfReason =
  | 'cross-site'
  | 'origin-mismatch'
  | 'null-origin'
  | 'referer-missing'
  | 'referer-mismatch'
  | 'token-missing'
  | 'token-invalid'
  | 'token-expired'
  | 'secret-missing'
  | 'body-too-large'
  | 'token-after-file'
  | 'body-malformed'

export interface CsrfkitOptions {
  /** Readable token cookie name(s), tried in order. Default `['csrf_token', 'XSRF-TOKEN']`. */
  cookieName?: string | string[]
  /** Request header for the token. Default: `<meta name="csrf-header">`, else `X-CSRF-Token`. */
  headerName?: string
  /** Name of the meta tag holding the token. Default `csrf-token`. */
  metaName?: string
  /** Hidden form field used by protectForms(). Default: `<meta name="csrf-field">`, else `csrf_token`. */
  fieldName?: string
  /** Restore route. Default `/api/csrf/restore`. */
  restorePath?: string
  /** Other origins that may receive the token, e.g. `['https://api.example.com']`. Default none. */
  allowOrigins?: string[]
}

/** The configuration in effect, as returned by configure(). */
export interface CsrfkitConfig {
  cookieName: string[]
  headerName: string
  metaName: string
  fieldName: string
  restorePath: string
  allowOrigins: string[]
}

/** A plain object or array: csrfFetch sends it as JSON with `Content-Type: application/json`. */
export type JsonBody = { [key: string]: unknown } | unknown[]

/** fetch's RequestInit, except that `body` may also be a plain object or array (sent as JSON). */
export interface CsrfRequestInit extends Omit<RequestInit, 'body'> {
  body?: BodyInit | JsonBody | null
}

/** Thrown by request() (and restoreCSRF()) when the status is 400 or more. */
export interface CsrfkitError extends Error {
  response: Response
  status: number
  /** The csrfkit failure code when the server gave one, else `''` (request() only). */
  reason?: CsrfReason | ''
}

/**
 * fetch with CSRF protection: adds the token header to non-safe, same-origin (or allowOrigins)
 * requests, JSON-encodes plain-object bodies, and restores the token and retries once when the
 * server rejects the token (replayable bodies only). Resolves with the Response, like fetch.
 */
export function csrfFetch(input: RequestInfo | URL, init?: CsrfRequestInit | null): Promise<Response>
/** The seed's Express call shape: same as request(endpoint, method, body); throws on status >= 400. */
export function csrfFetch(endpoint: string | URL, method: string, body?: BodyInit | JsonBody | null): Promise<Response>

/** Express-style helper: credentials included, JSON body; rejects with a CsrfkitError on status >= 400. */
export function request(endpoint: string | URL, method?: string, body?: BodyInit | JsonBody | null): Promise<Response>

/** Calls the restore route, stores the fresh token (it wins over a stale meta tag) and returns it. */
export function restoreCSRF(): Promise<string>

/** Changes options; unknown keys and malformed origins throw. Returns the configuration in effect. */
export function configure(options?: CsrfkitOptions): CsrfkitConfig

/** The current token (meta tag, readable cookie or restored token), or `''` when none is known. */
export function getToken(): string

/** Adds the hidden token field at submit time to same-origin POST forms that lack it. */
export function protectForms(): void
