/** The sign-in form, and the pages that answer a refusal. */
import { html } from '../../render/html.js';
import { barePage, card, page, type PageContext } from './layout.js';

export function signInPage(token: string, next: string, error: string | null): string {
  return barePage(
    'Sign in',
    html`<section class="card signin"><h2>Sign in to Vigil</h2>
<form method="post" action="/signin">
<input type="hidden" name="_csrf" value="${token}">
<input type="hidden" name="next" value="${next}">
<label>Name<input type="text" name="name" autocomplete="username" required autofocus></label>
<label>Password<input type="password" name="password" autocomplete="current-password" required></label>
${error ? html`<p class="error">${error}</p>` : ''}
<button type="submit">Sign in</button>
</form></section>`,
  );
}

/** A refusal or a missing page, for someone signed in: the same words whether the thing is missing or another customer's. */
export function errorPage(ctx: PageContext, status: number, message: string): string {
  const title = status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Something went wrong';
  return page(ctx, title, html`<h1>${title}</h1>${card(String(status), html`<p>${message}</p><p><a href="/">Back to today</a></p>`)}`);
}

/** A refusal before anyone signed in (a form without its token). */
export function bareErrorPage(status: number, message: string): string {
  return barePage(
    String(status),
    html`<section class="card signin"><h2>${status}</h2><p>${message}</p><p><a href="/signin">Sign in</a></p></section>`,
  );
}
