/** Settings from the environment, read once by an entry and passed down: no module reads env. */
export interface Config {
  readonly port: number;
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly bootstrapAdminKey: string | undefined;
}

export function configFrom(env: Record<string, string | undefined>): Config {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not ${env.PORT}`);
  return {
    port,
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.DATA_DIR || './data',
    bootstrapAdminKey: env.LEDGER_BOOTSTRAP_ADMIN_KEY || undefined,
  };
}
