/** GET a URL with a timeout; resolves with status and body, rejects on network errors. */
export async function httpGet(url: string, timeoutMs = 3000): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
}

/** A probe over HTTP: healthy when the status is 2xx and the body passes `check`. */
export async function httpProbe(
  url: string,
  check: (body: string) => boolean = () => true,
): Promise<{ ok: boolean; detail: string }> {
  try {
    const { status, body } = await httpGet(url);
    if (status >= 200 && status < 300 && check(body)) return { ok: true, detail: `${url} -> ${status}` };
    return { ok: false, detail: `${url} -> ${status} ${body.slice(0, 120).replace(/\s+/g, ' ')}` };
  } catch (err) {
    return { ok: false, detail: `${url}: ${(err as Error).message}` };
  }
}
