/**
 * The project's one way to write HTML and SVG: hono's `html` tagged template (hono/html). Every
 * value interpolated into a template is escaped (`& < > " '`, so it is safe in a text node and in
 * a quoted attribute) unless it is itself a template's result or wrapped in `raw()`; markup built
 * from records (rule names, user ids, labels) therefore cannot forget to escape. The daily
 * reports, the alert emails and the portal that `vigil serve` will serve with hono
 * (`c.html(fragment)`) all write their markup with it.
 *
 * Why `html` rather than hono/jsx: the templates are the markup they produce (a doctype, SVG
 * attributes as SVG spells them, an email body), so a reader sees the page in the source; and
 * they need no JSX compiler settings or .tsx files, only tsc as it is.
 *
 * Templates here are synchronous: they interpolate text, numbers, other fragments and lists of
 * them, never a Promise or an async component, so a chart stays a pure function of its numbers.
 */
import { html as honoHtml, raw } from 'hono/html';

export { raw };

/**
 * Markup that is safe as it is: a template's result, or text passed through `raw()`. hono types
 * it as a string, but it is a `String` object carrying the mark; `renderHtml` gives the string.
 */
export type Html = ReturnType<typeof raw>;

/**
 * What a template interpolates: text and numbers (escaped), fragments (as they are) and lists of
 * them (concatenated); booleans, `null` and `undefined` render nothing, so `cond && fragment`
 * shows the fragment or nothing.
 */
export type HtmlValue = string | number | boolean | null | undefined | Html | readonly HtmlValue[];

/** hono's `html`, typed to the synchronous fragments above. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  const fragment = honoHtml(strings, ...values);
  if (fragment instanceof Promise) {
    throw new Error('render: a template interpolated an asynchronous fragment; templates here render synchronously');
  }
  return fragment;
}

/** A finished page or email body as a plain string, for a file or a mail transport. */
export function renderHtml(fragment: Html): string {
  return fragment.toString();
}
