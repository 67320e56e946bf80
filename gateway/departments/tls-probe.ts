import { connect, type PeerCertificate } from 'node:tls';

/**
 * One TLS handshake with a department, the gateway's client certificate offered, to learn what a
 * failed gRPC connection does not say: grpc-js reports a refused handshake as `Failed to connect`
 * or as a stream reset carrying OpenSSL's text, never as "the department refused our
 * certificate". Nothing is sent after the handshake; the connection is closed at once.
 */
export type TlsProbeResult =
  /** The department completed the handshake with the gateway's certificate. */
  | { outcome: 'accepted' }
  /**
   * The department ended the handshake: with a TLS alert (`alert`, in OpenSSL's words;
   * `certificate`: one about the gateway's certificate), or — `alert` null, `certificate` true —
   * by closing a TLS 1.3 connection as soon as it had the gateway's certificate, before any
   * session ticket: how a Node (grpc-js) server refuses a client certificate, without an alert.
   */
  | { outcome: 'refused'; alert: string | null; certificate: boolean }
  /** Anything else (unreachable, our own check of its certificate, silence): the probe cannot tell. */
  | { outcome: 'inconclusive'; problem: string };

export interface TlsProbeOptions {
  host: string;
  port: number;
  /** The name the department's certificate must carry (SNI and the identity check). */
  servername: string;
  ca: string;
  cert: string;
  key: string;
  checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
  /** Default 5 s. */
  timeoutMs?: number;
}

/** TLS alert descriptions (RFC 8446 §6.2) by number, as OpenSSL names them in its error text. */
const ALERTS: Record<number, string> = {
  40: 'handshake failure',
  42: 'bad certificate',
  43: 'unsupported certificate',
  44: 'certificate revoked',
  45: 'certificate expired',
  46: 'certificate unknown',
  48: 'unknown CA',
  49: 'access denied',
  51: 'decrypt error',
  70: 'protocol version',
  71: 'insufficient security',
  116: 'certificate required',
};
const CERTIFICATE_ALERTS = new Set([42, 43, 44, 45, 46, 48, 49, 116]);

export function probeTls(options: TlsProbeOptions): Promise<TlsProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = connect({
      host: options.host,
      port: options.port,
      servername: options.servername,
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      ALPNProtocols: ['h2'],
      rejectUnauthorized: true,
      ...(options.checkServerIdentity ? { checkServerIdentity: options.checkServerIdentity } : {}),
    });
    const done = (result: TlsProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ outcome: 'inconclusive', problem: `no verdict within ${options.timeoutMs ?? 5_000} ms` }), options.timeoutMs ?? 5_000);
    // TLS 1.2: the server checks the client's certificate before its Finished, so a completed
    // handshake is its verdict. TLS 1.3: the client finishes first and the server's verdict comes
    // after — an alert, or its session tickets (or any data) when it accepted.
    let finished = false;
    socket.once('secureConnect', () => {
      finished = true;
      if (socket.getProtocol() !== 'TLSv1.3') done({ outcome: 'accepted' });
    });
    socket.once('session', () => done({ outcome: 'accepted' }));
    socket.once('data', () => done({ outcome: 'accepted' }));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(readAlert(err) ?? (finished && err.code === 'ECONNRESET' ? { outcome: 'refused', alert: null, certificate: true } : { outcome: 'inconclusive', problem: err.code ?? err.message })),
    );
    socket.once('close', () =>
      done(finished ? { outcome: 'refused', alert: null, certificate: true } : { outcome: 'inconclusive', problem: 'the connection was closed during the handshake' }),
    );
  });
}

/** The alert an OpenSSL error reports (`ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE`, "SSL alert number 42"), if it is one. */
export function readAlert(err: NodeJS.ErrnoException): TlsProbeResult | null {
  const number = /SSL alert number (\d+)/.exec(err.message)?.[1];
  if (number !== undefined) {
    const n = Number(number);
    return { outcome: 'refused', alert: ALERTS[n] ?? `alert ${n}`, certificate: CERTIFICATE_ALERTS.has(n) };
  }
  const named = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z_]+)$/.exec(err.code ?? '')?.[1];
  if (!named) return null;
  const words = named.toLowerCase().replace(/_/g, ' ').replace(/\bca\b/, 'CA');
  const n = Number(Object.keys(ALERTS).find((k) => ALERTS[Number(k)] === words));
  return { outcome: 'refused', alert: words, certificate: CERTIFICATE_ALERTS.has(n) };
}
