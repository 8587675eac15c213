import { Initial1795471581026 } from './1795471581026-initial';

/** Every postgres migration, oldest first. */
export const POSTGRES_MIGRATIONS: Function[] = [Initial1795471581026];
