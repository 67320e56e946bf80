import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * For tests: a TCP proxy on 127.0.0.1 in front of a department, whose connection can be made to
 * fail the ways real ones do. `pass` forwards; `down` resets every connection, open or new (the
 * department unreachable); `blackhole` keeps every connection open but lets nothing through in
 * either direction (a silently dead route). Everything ends at `close()`.
 */
export type FaultMode = 'pass' | 'down' | 'blackhole';

export interface FaultProxy {
  port: number;
  mode: FaultMode;
  set(mode: FaultMode): void;
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  const open = new Set<{ client: Socket; upstream: Socket | null; dead: boolean }>();
  let mode: FaultMode = 'pass';
  let connections = 0;
  const server: Server = createServer((client) => {
    connections += 1;
    client.on('error', () => {});
    if (mode === 'down') return void client.resetAndDestroy();
    const link = { client, upstream: null as Socket | null, dead: mode === 'blackhole' };
    open.add(link);
    client.on('close', () => {
      open.delete(link);
      link.upstream?.destroy();
    });
    if (link.dead) return void client.on('data', () => {});
    const upstream = connect(targetPort, '127.0.0.1');
    link.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (d) => void (link.dead || upstream.write(d)));
    upstream.on('data', (d) => void (link.dead || client.write(d)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    get mode() {
      return mode;
    },
    get connections() {
      return connections;
    },
    set(next) {
      mode = next;
      for (const link of open) {
        if (next === 'down') {
          link.client.resetAndDestroy();
          link.upstream?.destroy();
        } else if (next === 'blackhole') link.dead = true;
      }
    },
    async close() {
      for (const link of open) {
        link.client.destroy();
        link.upstream?.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
