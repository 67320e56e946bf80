import { createContext, useContext } from 'react';
import type { ApiClient } from '../../core/api-client';
import type { Me } from '../../../proto/api/me';
import type { ConsoleConfig } from './config';

export interface ConsoleContext {
  config: ConsoleConfig;
  api: ApiClient;
  me: Me;
}

export const Console = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const value = useContext(Console);
  if (!value) throw new Error('useConsole outside a logged-in console');
  return value;
}
