// Sending a body with upload progress. fetch reports no upload progress, so: in a browser (and an
// Electron renderer) XMLHttpRequest's upload events; elsewhere (Node, Electron's main process)
// fetch with a body stream that counts the bytes as fetch takes them.

export interface Progress {
  loaded: number;
  total: number;
}
export type ProgressCallback = (progress: Progress) => void;

export interface Transfer {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Blob;
  onProgress?: ProgressCallback | undefined;
  signal?: AbortSignal | undefined;
}

const PROGRESS_STEP = 64 * 1024;

export async function send(transfer: Transfer, fetchImpl: typeof fetch): Promise<Response> {
  if (typeof XMLHttpRequest === 'function') return sendWithXhr(transfer);
  const { body, onProgress } = transfer;
  if (!onProgress) return fetchImpl(transfer.url, { method: transfer.method, headers: transfer.headers, body, signal: transfer.signal ?? null });
  const total = body.size;
  let loaded = 0;
  onProgress({ loaded, total });
  const counting = body.stream().pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        // A blob in memory may come as one chunk: slices, so progress moves as the bytes go out.
        for (let at = 0; at < chunk.byteLength; at += PROGRESS_STEP) {
          const slice = chunk.subarray(at, at + PROGRESS_STEP);
          controller.enqueue(slice);
          loaded += slice.byteLength;
          onProgress({ loaded, total });
        }
      },
    }),
  );
  const init: RequestInit & { duplex: 'half' } = {
    method: transfer.method,
    // A stream has no length of its own: say it, so the server need not take a chunked body.
    headers: { ...transfer.headers, 'content-length': String(total) },
    body: counting,
    duplex: 'half',
    signal: transfer.signal ?? null,
  };
  return fetchImpl(transfer.url, init);
}

function sendWithXhr({ method, url, headers, body, onProgress, signal }: Transfer): Promise<Response> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.responseType = 'blob';
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    if (onProgress) xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : body.size });
    xhr.onload = () => {
      const responseHeaders = new Headers();
      for (const line of xhr.getAllResponseHeaders().trim().split(/\r?\n/)) {
        const at = line.indexOf(':');
        if (at > 0) responseHeaders.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
      }
      // These statuses may not carry a body in a Response.
      const body = [101, 204, 205, 304].includes(xhr.status) ? null : (xhr.response as Blob);
      resolve(new Response(body, { status: xhr.status, statusText: xhr.statusText, headers: responseHeaders }));
    };
    xhr.onerror = () => reject(new TypeError(`${method} ${url}: network error`));
    xhr.onabort = () => reject(signal?.reason ?? new DOMException('Aborted', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}
