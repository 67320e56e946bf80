import { useEffect, useState } from 'react';
import type { CatalogueCategory, CatalogueView } from '../../../proto/api/catalogue';
import type { ApiClient } from '../../core/api-client';
import { useConsole } from './context';

/**
 * The gateway's live catalogue (GET /v1/catalogue): categories with their departments, fields,
 * sensitivity and approval chains, and whether each department answers now. Read once per
 * session; the gateway still decides on its own copy when the inquiry is submitted (the inquiry
 * then shows the chain it fixed).
 */
const loaded = new WeakMap<ApiClient, Promise<CatalogueView>>();

export function useCatalogue(): { catalogue: CatalogueView | null; error: unknown } {
  const { api } = useConsole();
  const [state, setState] = useState<{ catalogue: CatalogueView | null; error: unknown }>({ catalogue: null, error: null });
  useEffect(() => {
    let promise = loaded.get(api);
    if (!promise) {
      promise = api.catalogue();
      loaded.set(api, promise);
      promise.catch(() => loaded.delete(api)); // the next page asks again
    }
    let live = true;
    promise.then((catalogue) => live && setState({ catalogue, error: null }), (error: unknown) => live && setState({ catalogue: null, error }));
    return () => void (live = false);
  }, [api]);
  return state;
}

const ORDER: readonly CatalogueCategory['sensitivity'][] = ['standard', 'sensitive', 'highly_sensitive'];

/** The most sensitive of the chosen categories: it decides the approvals (policies/approvals.json), and its chain is the inquiry's. */
export function mostSensitive(catalogue: CatalogueView, names: string[]): CatalogueCategory | null {
  let best: CatalogueCategory | null = null;
  for (const name of names) {
    const c = catalogue.categories.find((x) => x.name === name);
    if (c && (!best || ORDER.indexOf(c.sensitivity) > ORDER.indexOf(best.sensitivity))) best = c;
  }
  return best;
}
