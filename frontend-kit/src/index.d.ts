import type { HttpHandler } from "msw";
import type { components } from "./grades-api.js";

export type GradeRecord = components["schemas"]["GradeRecord"];
export type ApiError = components["schemas"]["Error"];
export type { components, operations, paths } from "./grades-api.js";

export interface HandlerOptions {
  /** The records served (default: the mock's bundled fixtures). */
  records?: GradeRecord[];
  /** The accepted Bearer token (default `local-dev-token`). */
  token?: string;
  /** Several accepted tokens; overrides `token`. */
  tokens?: string[];
  /** Valid tokens whose user may not read grades: answered 403 (default `local-no-grades-token`). */
  forbiddenTokens?: string[];
  /** Delay every answer by this many ms (`Prefer: delay=` overrides it). */
  delayMs?: number;
  /** `*` (default) or a comma-separated list of origins, as grades-mock's `--cors-origin`. */
  corsOrigin?: string;
}

/** MSW handlers for the grades path on any origin, with the Python mock's semantics. */
export function createHandlers(options?: HandlerOptions): HttpHandler[];
/** `createHandlers()` with its defaults. */
export const handlers: HttpHandler[];
export const bundledRecords: GradeRecord[];
export const GRADES_PATH: "/api/so2/v1/grades";
export const DEFAULT_TOKEN: string;
export const DEFAULT_FORBIDDEN_TOKEN: string;
