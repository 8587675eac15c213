import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Refusal to start a second instance on one embedded database file. */
export class SqliteInUseError extends Error {}

/**
 * Takes the embedded database file for this process alone (a `<file>.lock` holding its pid): several
 * gateway instances on one SQLite file would each route with their own in-memory live state, so a second
 * one is refused at start. A lock left by a process that no longer runs is taken over. Returns the release.
 */
export function lockSqliteFile(path: string): () => void {
  const lockPath = `${path}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lockPath, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && isRunning(holder)) {
        throw new SqliteInUseError(
          `Another gateway instance (pid ${holder}) already uses the embedded database ${path}. Several instances need DATABASE_URL=postgres://... and REDIS_URL.`,
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new SqliteInUseError(`Could not lock the embedded database ${path}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
