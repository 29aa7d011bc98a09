import type { ApiKeyRow, LedgerStore } from '../../app/ports.ts';
import type { GroupCommitter } from '../../app/group-commit.ts';

/** One JSON object per request, without secrets. */
export type RequestLog = (line: Record<string, unknown>) => void;

export interface AppDeps {
  readonly store: LedgerStore;
  readonly committer: GroupCommitter;
  readonly log?: RequestLog;
  /** Aborted when the process is stopping: long-lived responses (the SSE stream) end then. */
  readonly shutdown?: AbortSignal;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    key: ApiKeyRow | null;
    deps: AppDeps;
  };
}
