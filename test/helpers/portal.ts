/**
 * A person using the portal without a browser: a cookie jar over `fetch` (a running server's, or
 * an app's own `request` in process), signing in through the sign-in form and sending each form
 * back with the CSRF token its page carries, as a browser would.
 */
export type Fetcher = (path: string, init: RequestInit) => Promise<Response> | Response;

export class PortalClient {
  readonly cookies = new Map<string, string>();

  constructor(private readonly fetcher: Fetcher) {}

  /** A request with the jar's cookies; redirects are returned, not followed; Set-Cookie goes into the jar. */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await this.fetcher(path, { ...init, headers, redirect: 'manual', signal: AbortSignal.timeout(60_000) });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      const [name, value] = [pair!.slice(0, at), pair!.slice(at + 1)];
      if (value === '' || /max-age=0\b/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  async get(path: string): Promise<{ status: number; text: string; res: Response }> {
    const res = await this.request(path);
    return { status: res.status, text: await res.text(), res };
  }

  /** Posts a form (URL-encoded, as a browser does). */
  async post(path: string, fields: Record<string, string>): Promise<{ status: number; text: string; res: Response }> {
    const res = await this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: res.status, text: await res.text(), res };
  }

  /** Fills in the sign-in form; returns the answer to its POST (303 to `next` when signed in). */
  async signIn(name: string, password: string, next = '/'): Promise<Response> {
    const form = await this.get(`/signin?next=${encodeURIComponent(next)}`);
    const res = await this.request('/signin', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrfOf(form.text), name, password, next }).toString(),
    });
    await res.text();
    return res;
  }

  /** The CSRF token of the forms of a page of this session. */
  async csrf(path = '/incidents'): Promise<string> {
    return csrfOf((await this.get(path)).text);
  }
}

/** The CSRF token a page's forms carry. */
export function csrfOf(page: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!m) throw new Error(`the page has no form token:\n${page.slice(0, 500)}`);
  return m[1]!;
}
