import { Initial1795471580312 } from './1795471580312-initial';

/** Every sqlite migration, oldest first. */
export const SQLITE_MIGRATIONS: Function[] = [Initial1795471580312];
